"""Typed records exchanged with FlexNet Operations.

Read records (what queries return) and write records (what create operations take) are
plain dataclasses: no XML, no transport, safe to pickle into a queue job.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

ACCOUNT_TYPES = ("CUSTOMER", "CHANNEL_PARTNER", "PUBLISHER", "SELF_REGISTERED")
OP_CREATE_OR_UPDATE = "CREATE_OR_UPDATE"
OP_CREATE_OR_IGNORE = "CREATE_OR_IGNORE"
STATUS_SUCCESS = "SUCCESS"
STATUS_FAILURE = "FAILURE"
STATUS_PARTIAL_FAILURE = "PARTIAL_FAILURE"
# the states setEntitlementState sets
ENTITLEMENT_STATES = ("DRAFT", "DEPLOYED", "INACTIVE", "OBSOLETE")
# FlexNet's rules for an ID the caller gives (activation IDs; entitlement IDs alike)
ID_FORBIDDEN = ',"&%^()#@!~/<>`}{=|.'
ID_MAX_LENGTH = 255
_UNSAFE = re.compile("[" + re.escape(ID_FORBIDDEN) + r"\s\x00-\x1f\x7f]+")


def safe_id(value, max_length=ID_MAX_LENGTH):
    """``value`` made an ID FlexNet accepts, the same every time for the same value: each run
    of characters FlexNet refuses (and of spaces and control characters) becomes one ``-``
    (``SO/2026/0001`` gives ``SO-2026-0001``); a value still longer than ``max_length`` keeps
    its start and ends with a digest of the whole value."""
    safe = _UNSAFE.sub("-", value or "") or "-"
    if len(safe) > max_length:
        digest = hashlib.sha256(value.encode()).hexdigest()[:12]
        safe = f"{safe[: max_length - len(digest) - 1]}-{digest}"
    return safe


# --- read records --------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class PartNumber:
    part_id: str
    unique_id: str | None = None
    license_model: str | None = None


@dataclass(slots=True)
class Product:
    name: str
    version: str | None = None
    unique_id: str | None = None
    description: str | None = None
    state: str | None = None
    category: str | None = None
    part_numbers: list[PartNumber] = field(default_factory=list)
    attributes: dict = field(default_factory=dict)
    created: datetime | None = None
    last_modified: datetime | None = None


@dataclass(slots=True)
class Address:
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zipcode: str | None = None
    country: str | None = None
    region: str | None = None


@dataclass(slots=True)
class Account:
    account_id: str
    name: str
    unique_id: str | None = None
    description: str | None = None
    account_type: str | None = None
    address: Address | None = None
    visible: bool | None = None
    attributes: dict = field(default_factory=dict)
    created: datetime | None = None
    last_modified: datetime | None = None


@dataclass(slots=True, frozen=True)
class AccountRoles:
    account_id: str
    roles: tuple[str, ...] = ()


@dataclass(slots=True)
class User:
    user_name: str | None
    first_name: str
    last_name: str
    email: str
    unique_id: str | None = None
    phone: str | None = None
    display_name: str | None = None
    active: bool = True
    domain: str | None = None
    locale: str | None = None
    country: str | None = None
    accounts: list[AccountRoles] = field(default_factory=list)
    created: datetime | None = None
    last_modified: datetime | None = None
    last_login: datetime | None = None


@dataclass(slots=True)
class MaintenanceLineItem:
    activation_id: str
    product_name: str | None = None
    product_version: str | None = None
    part_number: str | None = None
    order_id: str | None = None
    order_line_number: str | None = None
    start_date: date | None = None
    expiration_date: date | None = None
    is_permanent: bool = False
    state: str | None = None
    parent_activation_id: str | None = None


@dataclass(slots=True)
class LineItem:
    activation_id: str
    entitlement_id: str | None = None
    sold_to: str | None = None
    sold_to_name: str | None = None
    description: str | None = None
    state: str | None = None
    entitlement_state: str | None = None
    product_name: str | None = None
    product_version: str | None = None
    part_number: str | None = None
    order_id: str | None = None
    order_line_number: str | None = None
    number_of_copies: int | None = None
    fulfilled_amount: int | None = None
    remaining_copies: int | None = None
    start_date: date | None = None
    expiration_date: date | None = None
    is_permanent: bool = False
    parent_activation_id: str | None = None
    support_action: str | None = None
    maintenance: list[MaintenanceLineItem] = field(default_factory=list)
    created: datetime | None = None
    last_modified: datetime | None = None


@dataclass(slots=True)
class Entitlement:
    entitlement_id: str
    sold_to: str | None = None
    sold_to_name: str | None = None
    description: str | None = None
    state: str | None = None
    ship_to_email: str | None = None
    ship_to_address: str | None = None
    line_items: list[LineItem] = field(default_factory=list)
    maintenance_line_items: list[MaintenanceLineItem] = field(default_factory=list)
    last_modified: datetime | None = None


@dataclass(slots=True, frozen=True)
class TokenStatus:
    valid: bool
    code: str | None = None
    message: str | None = None


# --- write records -------------------------------------------------------------------


@dataclass(slots=True)
class NewAccount:
    account_id: str
    name: str
    account_type: str = "CUSTOMER"
    description: str | None = None
    address: Address | None = None
    visible: bool = True


@dataclass(slots=True)
class NewUser:
    first_name: str
    last_name: str
    email: str
    account_id: str
    roles: tuple[str, ...] = ("Portal User",)
    user_name: str | None = None
    phone: str | None = None
    country: str | None = None
    locale: str | None = None
    can_login: bool = True


@dataclass(slots=True)
class NewLineItem:
    part_number: str
    number_of_copies: int
    activation_id: str | None = None  # None: FlexNet generates one
    order_id: str | None = None
    order_line_number: str | None = None
    description: str | None = None
    start_date: date | None = None
    expiration_date: date | None = None
    is_permanent: bool = False


@dataclass(slots=True)
class NewMaintenanceLineItem:
    part_number: str
    parent_activation_id: str
    activation_id: str | None = None
    order_id: str | None = None
    order_line_number: str | None = None
    start_date: date | None = None
    expiration_date: date | None = None
    is_permanent: bool = False


@dataclass(slots=True)
class NewEntitlement:
    sold_to: str | None  # None: no end customer (FlexNet shows it as not available)
    entitlement_id: str | None = None  # None: FlexNet generates one
    description: str | None = None
    ship_to_email: str | None = None
    ship_to_address: str | None = None
    email_template_variation: str | None = None
    allow_portal_login: bool | None = None
    line_items: list[NewLineItem] = field(default_factory=list)
    maintenance_line_items: list[NewMaintenanceLineItem] = field(default_factory=list)
    # deployed as soon as created: what is sold must be usable at once; False leaves a DRAFT
    auto_deploy: bool = True


@dataclass(slots=True)
class LineItemAddition:
    """Line and maintenance items to add to an existing entitlement (createEntitlementLineItem)."""

    entitlement_id: str
    line_items: list[NewLineItem] = field(default_factory=list)
    maintenance_line_items: list[NewMaintenanceLineItem] = field(default_factory=list)
    auto_deploy: bool = True


@dataclass(slots=True, frozen=True)
class MaintenanceLink:
    """Attach maintenance line item ``maintenance_activation_id`` to line item ``activation_id``."""

    activation_id: str
    maintenance_activation_id: str


@dataclass(slots=True, frozen=True)
class EntitlementState:
    """A state to set on an entitlement: DRAFT, DEPLOYED, INACTIVE or OBSOLETE."""

    entitlement_id: str
    state: str


# --- results -------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class FailedRecord:
    key: str | None
    reason: str | None


@dataclass(slots=True)
class CreatedEntitlement:
    entitlement_id: str
    unique_id: str | None = None
    activation_ids: list[str] = field(default_factory=list)
    maintenance_activation_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class WriteResult:
    """Outcome of a create call: what was created and what FlexNet refused, per record."""

    status: str = STATUS_SUCCESS
    reason: str | None = None
    created: list = field(default_factory=list)
    failed: list[FailedRecord] = field(default_factory=list)

    @property
    def ok(self):
        return self.status == STATUS_SUCCESS and not self.failed

    def merge(self, other):
        """Fold the result of another chunk of the same call into this one."""
        self.created.extend(other.created)
        self.failed.extend(other.failed)
        if other.status != STATUS_SUCCESS:
            if self.status == STATUS_SUCCESS and self.created and other.status == STATUS_FAILURE:
                self.status = STATUS_PARTIAL_FAILURE
            elif self.status == STATUS_SUCCESS:
                self.status = other.status
            self.reason = "; ".join(r for r in (self.reason, other.reason) if r)
        elif self.status == STATUS_FAILURE and other.created:
            self.status = STATUS_PARTIAL_FAILURE
        return self
