"""FlexNet Operations SOAP client: one method per operation, typed records in and out."""

import logging
from datetime import datetime, timedelta

from .exceptions import MalformedResponse, OperationFailed, PartialFailure
from .records import (
    OP_CREATE_OR_IGNORE,
    STATUS_FAILURE,
    STATUS_PARTIAL_FAILURE,
    STATUS_SUCCESS,
    Account,
    AccountRoles,
    Address,
    CreatedEntitlement,
    Entitlement,
    FailedRecord,
    LineItem,
    MaintenanceLineItem,
    PartNumber,
    Product,
    TokenStatus,
    User,
    WriteResult,
)
from .transport import Transport
from .xmlutil import (
    Builder,
    attributes,
    identifier,
    local,
    product_identifier,
    single_key,
    to_bool,
    to_date,
    to_datetime,
    to_int,
)

_logger = logging.getLogger(__name__)

NS_ENTITLEMENTS = "urn:v4.webservices.operations.flexnet.com"
NS_ACCOUNTS = "urn:v3.webservices.operations.flexnet.com"
NS_PRODUCTS = "urn:v2.webservices.operations.flexnet.com"
NS_ORGANIZATIONS = "urn:v1.webservices.operations.flexnet.com"
NS_AUTH = "urn:v1.webservices.platform.flexnet.com"

SERVICES = {
    NS_ENTITLEMENTS: "v4/EntitlementOrderService",
    NS_ACCOUNTS: "v3/UserAcctHierarchyService",
    NS_PRODUCTS: "v2/ProductPackagingService",
    NS_ORGANIZATIONS: "v1/UserOrgHierarchyService",
    NS_AUTH: "v1/FlexnetAuthentication",
}
MAX_PAGE_SIZE = 2000
MAX_WRITE_BATCH = 25
ACCOUNT_API_V3 = "v3"
ACCOUNT_API_V1 = "v1"

# fields asked of getEntitlementLineItemPropertiesQuery, in the schema's order
LINE_ITEM_FIELDS = (
    "activationId",
    "description",
    "state",
    "orderId",
    "orderLineNumber",
    "entitlementId",
    "soldTo",
    "soldToDisplayName",
    "entitlementState",
    "product",
    "partNumber",
    "lineItemSupportAction",
    "parentLineItem",
    "startDate",
    "isPermanent",
    "expirationDate",
    "numberOfCopies",
    "fulfilledAmount",
    "numberOfRemainingCopies",
    "maintenance",
    "maintenancePartNumber",
    "createdOnDateTime",
    "lastModifiedDateTime",
)


class FlexNetClient:
    """Talks to one FlexNet Operations site.

    ``account_api`` picks the account service: ``"v3"`` (UserAcctHierarchyService, accounts)
    or ``"v1"`` (UserOrgHierarchyService, organizations, on older sites).
    Query methods come in two forms: ``iter_xxx()`` yields records and ``iter_xxx_pages()``
    yields one list per page, so that memory stays flat whatever the data set.
    """

    def __init__(
        self, base_url, auth=None, *, account_api=ACCOUNT_API_V3, page_size=200, **transport_options
    ):
        if account_api not in (ACCOUNT_API_V3, ACCOUNT_API_V1):
            raise ValueError(f"account_api must be 'v3' or 'v1', not {account_api!r}")
        self.transport = Transport(base_url, auth, **transport_options)
        self.account_api = account_api
        self.page_size = _check_page_size(page_size)

    # --- plumbing ------------------------------------------------------------------------

    def _call(self, ns, operation, payload, response_element, *, idempotent=True):
        body = self.transport.call(SERVICES[ns], operation, payload, idempotent=idempotent)
        if body.tag != f"{{{ns}}}{response_element}":
            raise MalformedResponse(
                f"expected <{response_element}> in {ns}, got {body.tag}",
                operation=operation,
                url=self.transport.endpoint(SERVICES[ns]),
            )
        return body

    def _status(self, body, operation):
        status = reason = None
        info = next((c for c in body if local(c.tag) == "statusInfo"), None)
        if info is None:
            raise MalformedResponse("the answer has no statusInfo", operation=operation)
        for child in info:
            if local(child.tag) == "status":
                status = (child.text or "").strip()
            elif local(child.tag) == "reason":
                reason = child.text
        if status not in (STATUS_SUCCESS, STATUS_FAILURE, STATUS_PARTIAL_FAILURE):
            raise MalformedResponse(f"unknown status {status!r}", operation=operation)
        return status, reason

    def _pages(self, ns, operation, response_element, build, parse, page_size):
        size = _check_page_size(page_size or self.page_size)
        page = 1
        while True:
            body = self._call(ns, operation, build(page, size), response_element)
            status, reason = self._status(body, operation)
            if status == STATUS_FAILURE:
                raise OperationFailed(
                    f"FlexNet refused the query: {reason}", reason=reason, operation=operation
                )
            records = parse(body)
            if status == STATUS_PARTIAL_FAILURE:
                raise PartialFailure(
                    f"FlexNet answered page {page} only in part: {reason}",
                    reason=reason,
                    records=records,
                    operation=operation,
                )
            if records:
                yield records
            if len(records) < size:
                return
            page += 1

    def _write(self, ns, operation, response_element, records, build, parse):
        """Send ``records`` in calls of at most 25 and fold the results into one."""
        records = list(records)
        result = WriteResult()
        for start in range(0, len(records), MAX_WRITE_BATCH):
            chunk = records[start : start + MAX_WRITE_BATCH]
            body = self._call(ns, operation, build(chunk), response_element, idempotent=False)
            status, reason = self._status(body, operation)
            created, failed = parse(body)
            if status == STATUS_FAILURE and not failed:
                failed = [FailedRecord(None, reason)]
            result.merge(WriteResult(status=status, reason=reason, created=created, failed=failed))
        if result.status == STATUS_FAILURE:
            raise OperationFailed(
                f"FlexNet refused {operation}: {result.reason or '; '.join(str(f.reason) for f in result.failed)}",
                reason=result.reason,
                failed=result.failed,
                operation=operation,
            )
        return result

    # --- products (ProductPackagingService v2) ------------------------------------------

    def iter_product_pages(self, *, modified_since=None, part_number=None, name=None, page_size=None):
        """Pages of :class:`Product` with their part numbers.

        ``modified_since`` is a date or datetime: the service filters by day, so products
        modified on that day are returned again (upserts must be idempotent anyway).
        """
        b = Builder(NS_PRODUCTS)
        if isinstance(modified_since, datetime):
            modified_since = modified_since.date() - timedelta(days=1)

        def build(page, size):
            root = b.root("getProductsQueryRequest")
            params = b.sub(root, "queryParams")
            b.query(params, "productName", name)
            b.query(params, "partNumber", part_number)
            b.query(params, "lastModifiedDate", modified_since, "AFTER")
            b.sub(root, "pageNumber", page)
            b.sub(root, "batchSize", size)
            b.sub(root, "returnContainedObjects", True)
            return root

        return self._pages(
            NS_PRODUCTS,
            "getProductsQuery",
            "getProductsQueryResponse",
            build,
            lambda body: _response_data(body, _product),
            page_size,
        )

    def iter_products(self, **kwargs):
        for page in self.iter_product_pages(**kwargs):
            yield from page

    # --- accounts and users (v3 accounts or v1 organizations) ---------------------------

    def iter_account_pages(self, *, modified_since=None, account_id=None, account_type=None, page_size=None):
        """Pages of :class:`Account` (organizations on a v1 site, keyed by their name)."""
        v1 = self.account_api == ACCOUNT_API_V1
        ns = NS_ORGANIZATIONS if v1 else NS_ACCOUNTS
        operation = "getOrganizationsQuery" if v1 else "getAccountsQuery"
        id_tag, type_tag = ("orgName", "orgType") if v1 else ("accountID", "accountType")
        parse_one = _organization if v1 else _account
        b = Builder(ns)

        def build(page, size):
            root = b.root(f"{operation}Request")
            params = b.sub(root, "queryParams")
            b.query(params, id_tag, account_id)
            b.opt(params, type_tag, account_type)
            b.query(params, "lastModifiedDateTime", modified_since, "AFTER")
            b.sub(root, "pageNumber", page)
            b.sub(root, "batchSize", size)
            return root

        return self._pages(
            ns,
            operation,
            f"{operation}Response",
            build,
            lambda body: _response_data(body, parse_one),
            page_size,
        )

    def iter_accounts(self, **kwargs):
        for page in self.iter_account_pages(**kwargs):
            yield from page

    def iter_user_pages(
        self, *, modified_since=None, account_id=None, email=None, user_name=None, page_size=None
    ):
        """Pages of :class:`User` with the accounts (or organizations) they belong to."""
        v1 = self.account_api == ACCOUNT_API_V1
        ns = NS_ORGANIZATIONS if v1 else NS_ACCOUNTS
        b = Builder(ns)

        def build(page, size):
            root = b.root("getUsersQueryRequest")
            params = b.sub(root, "queryParams")
            b.query(params, "userName", user_name)
            b.query(params, "emailAddress", email)
            b.query(params, "orgName" if v1 else "accountID", account_id)
            b.query(params, "lastModifiedDateTime", modified_since, "AFTER")
            b.sub(root, "pageNumber", page)
            b.sub(root, "batchSize", size)
            return root

        return self._pages(
            ns,
            "getUsersQuery",
            "getUsersQueryResponse",
            build,
            lambda body: _response_data(body, _user),
            page_size,
        )

    def iter_users(self, **kwargs):
        for page in self.iter_user_pages(**kwargs):
            yield from page

    def create_accounts(self, accounts, *, op_type=OP_CREATE_OR_IGNORE):
        """``createAccount`` (v3 sites). Returns a :class:`WriteResult` of account IDs."""
        self._require_v3("createAccount")
        b = Builder(NS_ACCOUNTS)

        def build(chunk):
            root = b.root("createAcctRequest")
            for account in chunk:
                el = b.sub(root, "account")
                b.sub(el, "id", account.account_id)
                b.sub(el, "name", account.name)
                b.opt(el, "description", account.description)
                if account.address:
                    _address_out(b, el, account.address)
                b.sub(el, "visible", account.visible)
                b.sub(el, "accountType", account.account_type)
            b.sub(root, "opType", op_type)
            return root

        def parse(body):
            created, failed = [], []
            for child in body:
                name = local(child.tag)
                if name == "responseData":
                    created = [identifier(el, "id") for el in child]
                elif name == "failedData":
                    for item in child:
                        key = reason = None
                        for part in item:
                            if local(part.tag) == "account":
                                key = next((c.text for c in part if local(c.tag) == "id"), None)
                            elif local(part.tag) == "reason":
                                reason = part.text
                        failed.append(FailedRecord(key, reason))
            return created, failed

        return self._write(NS_ACCOUNTS, "createAccount", "createAcctResponse", accounts, build, parse)

    def create_users(self, users, *, op_type=OP_CREATE_OR_IGNORE):
        """``createUser`` (v3 sites). Returns a :class:`WriteResult` of user names."""
        self._require_v3("createUser")
        b = Builder(NS_ACCOUNTS)

        def build(chunk):
            root = b.root("createUserRequest")
            for user in chunk:
                el = b.sub(root, "user")
                b.sub(el, "firstName", user.first_name)
                b.sub(el, "lastName", user.last_name)
                b.sub(el, "emailAddress", user.email)
                b.opt(el, "phoneNumber", user.phone)
                b.opt(el, "country", user.country)
                b.opt(el, "locale", user.locale)
                b.sub(el, "canLogin", user.can_login)
                b.opt(el, "userName", user.user_name)
                roles_list = b.sub(el, "acctRolesList")
                acct_roles = b.sub(roles_list, "acctRoles")
                account = b.sub(acct_roles, "account")
                b.sub(b.sub(account, "primaryKeys"), "id", user.account_id)
                if user.roles:
                    roles = b.sub(acct_roles, "roles")
                    for role in user.roles:
                        b.sub(b.sub(b.sub(roles, "role"), "primaryKeys"), "name", role)
            b.sub(root, "opType", op_type)
            return root

        def parse(body):
            created, failed = [], []
            for child in body:
                name = local(child.tag)
                if name == "responseData":
                    for el in child:
                        created.append(next((c.text for c in el if local(c.tag) == "userName"), None))
                elif name == "failedData":
                    for item in child:
                        key = reason = None
                        for part in item:
                            if local(part.tag) == "user":
                                key = next((c.text for c in part if local(c.tag) == "emailAddress"), None)
                            elif local(part.tag) == "reason":
                                reason = part.text
                        failed.append(FailedRecord(key, reason))
            return created, failed

        return self._write(NS_ACCOUNTS, "createUser", "createUserResponse", users, build, parse)

    def _require_v3(self, operation):
        if self.account_api != ACCOUNT_API_V3:
            raise ValueError(f"{operation} needs the v3 account service; this backend uses v1 organizations")

    # --- entitlements (EntitlementOrderService v4) --------------------------------------

    def iter_line_item_pages(
        self,
        *,
        modified_since=None,
        sold_to=None,
        entitlement_id=None,
        activation_id=None,
        order_id=None,
        page_size=None,
    ):
        """Pages of :class:`LineItem` (with their maintenance line items).

        ``modified_since`` (aware or UTC datetime) selects lines modified strictly after it.
        """
        b = Builder(NS_ENTITLEMENTS)

        def build(page, size):
            root = b.root("searchEntitlementLineItemPropertiesRequest")
            params = b.sub(root, "queryParams")
            b.query(params, "entitlementId", entitlement_id)
            b.query(params, "activationId", activation_id)
            b.query(params, "orderId", order_id)
            b.query(params, "soldTo", sold_to)
            b.query(params, "lastModifiedDateTime", modified_since, "AFTER")
            config = b.sub(root, "entitlementLineItemResponseConfig")
            for name in LINE_ITEM_FIELDS:
                b.sub(config, name, True)
            b.sub(root, "batchSize", size)
            b.sub(root, "pageNumber", page)
            return root

        def parse(body):
            return [_line_item(el) for el in body if el.tag == LINE_ITEM_TAG]

        return self._pages(
            NS_ENTITLEMENTS,
            "getEntitlementLineItemPropertiesQuery",
            "searchEntitlementLineItemPropertiesResponse",
            build,
            parse,
            page_size,
        )

    def iter_line_items(self, **kwargs):
        for page in self.iter_line_item_pages(**kwargs):
            yield from page

    def iter_entitlement_pages(
        self, *, entitlement_id=None, sold_to=None, modified_since=None, page_size=None
    ):
        """Pages of :class:`Entitlement` with their line items."""
        b = Builder(NS_ENTITLEMENTS)
        if isinstance(modified_since, datetime):
            modified_since = modified_since.date() - timedelta(days=1)

        def build(page, size):
            root = b.root("searchEntitlementRequest")
            criteria = b.sub(root, "entitlementSearchCriteria")
            b.query(criteria, "entitlementId", entitlement_id)
            b.query(criteria, "soldTo", sold_to)
            b.query(criteria, "lastModifiedDate", modified_since, "AFTER")
            b.sub(root, "batchSize", size)
            b.sub(root, "pageNumber", page)
            return root

        def parse(body):
            result = []
            for el in body:
                if local(el.tag) == "entitlement":
                    simple = next((c for c in el if local(c.tag) == "simpleEntitlement"), None)
                    if simple is not None:
                        result.append(_entitlement(simple))
            return result

        return self._pages(
            NS_ENTITLEMENTS, "getEntitlementsQuery", "searchEntitlementResponse", build, parse, page_size
        )

    def iter_entitlements(self, **kwargs):
        for page in self.iter_entitlement_pages(**kwargs):
            yield from page

    def get_entitlement(self, entitlement_id):
        """The entitlement with exactly this ID, or None."""
        for entitlement in self.iter_entitlements(entitlement_id=entitlement_id, page_size=10):
            if entitlement.entitlement_id == entitlement_id:
                return entitlement
        return None

    def create_simple_entitlements(self, entitlements, *, op_type=OP_CREATE_OR_IGNORE):
        """``createSimpleEntitlement``; ``created`` holds :class:`CreatedEntitlement` records."""
        b = Builder(NS_ENTITLEMENTS)

        def id_type(parent, name, value):
            el = b.sub(parent, name)
            if value:
                b.sub(el, "id", value)
            else:
                b.sub(el, "autoGenerate", True)

        def build(chunk):
            root = b.root("createSimpleEntitlementRequest")
            for ent in chunk:
                el = b.sub(root, "simpleEntitlement")
                id_type(el, "entitlementId", ent.entitlement_id)
                b.opt(el, "description", ent.description)
                b.sub(el, "soldTo", ent.sold_to)
                b.opt(el, "shipToEmail", ent.ship_to_email)
                b.opt(el, "shipToAddress", ent.ship_to_address)
                b.opt(el, "emailTemplateVariation", ent.email_template_variation)
                for line in ent.line_items:
                    li = b.sub(el, "lineItems")
                    id_type(li, "activationId", line.activation_id)
                    b.opt(li, "description", line.description)
                    b.sub(b.sub(b.sub(li, "partNumber"), "primaryKeys"), "partId", line.part_number)
                    b.opt(li, "orderId", line.order_id)
                    b.opt(li, "orderLineNumber", line.order_line_number)
                    b.sub(li, "numberOfCopies", line.number_of_copies)
                    b.opt(li, "startDate", line.start_date)
                    b.sub(li, "isPermanent", line.is_permanent)
                    if not line.is_permanent:
                        b.opt(li, "expirationDate", line.expiration_date)
                for maint in ent.maintenance_line_items:
                    mi = b.sub(el, "maintenanceLineItems")
                    id_type(mi, "activationId", maint.activation_id)
                    b.sub(b.sub(b.sub(mi, "partNumber"), "primaryKeys"), "partId", maint.part_number)
                    b.opt(mi, "orderId", maint.order_id)
                    b.opt(mi, "orderLineNumber", maint.order_line_number)
                    b.opt(mi, "startDate", maint.start_date)
                    if not maint.is_permanent:
                        b.opt(mi, "expirationDate", maint.expiration_date)
                    b.sub(mi, "isPermanent", maint.is_permanent)
                    parent = b.sub(b.sub(mi, "parentLineItem"), "primaryKeys")
                    b.sub(parent, "activationId", maint.parent_activation_id)
                b.opt(el, "allowPortalLogin", ent.allow_portal_login)
            b.sub(root, "opType", op_type)
            return root

        def parse(body):
            created, failed = [], []
            for child in body:
                name = local(child.tag)
                if name == "responseData":
                    created = [_created_entitlement(el) for el in child]
                elif name == "failedData":
                    for item in child:
                        key = reason = None
                        for part in item:
                            if local(part.tag) == "simpleEntitlement":
                                ent_id = next((c for c in part if local(c.tag) == "entitlementId"), None)
                                if ent_id is not None:
                                    key = next((c.text for c in ent_id if local(c.tag) == "id"), None)
                            elif local(part.tag) == "reason":
                                reason = part.text
                        failed.append(FailedRecord(key, reason))
            return created, failed

        return self._write(
            NS_ENTITLEMENTS,
            "createSimpleEntitlement",
            "createSimpleEntitlementResponse",
            entitlements,
            build,
            parse,
        )

    def email_entitlement(self, entitlement_id, *, to=None, cc=None, locale=None, ignore_existing=False):
        """Ask FlexNet to send its entitlement e-mail (to its own contacts unless ``to``)."""
        b = Builder(NS_ENTITLEMENTS)
        root = b.root("emailEntitlementRequest")
        ident = b.sub(root, "entitlementIdentifier")
        b.sub(b.sub(ident, "primaryKeys"), "entitlementId", entitlement_id)
        b.sub(root, "ignoreExistingEmailList", ignore_existing)
        for name, emails in (("emailIdList", to), ("ccEmailIdList", cc)):
            if emails:
                lst = b.sub(root, name)
                for email in emails:
                    b.sub(lst, "emailId", email)
        b.opt(root, "locale", locale)
        body = self._call(
            NS_ENTITLEMENTS, "emailEntitlement", root, "emailEntitlementResponse", idempotent=False
        )
        status, reason = self._status(body, "emailEntitlement")
        if status != STATUS_SUCCESS:
            raise OperationFailed(
                f"FlexNet did not send the entitlement e-mail for {entitlement_id}: {reason}",
                reason=reason,
                failed=[FailedRecord(entitlement_id, reason)],
                operation="emailEntitlement",
            )
        return True

    # --- authentication (FlexnetAuthentication v1) --------------------------------------

    def authenticate_user(self, user_name, password, domain="FLEXnet"):
        """True when FlexNet accepts this member's user name and password."""
        b = Builder(NS_AUTH)
        root = b.root("AuthenticateUserInput")
        b.sub(root, "userName", user_name)
        b.sub(root, "password", password)
        b.sub(root, "domainName", domain)
        body = self._call(NS_AUTH, "authenticateUser", root, "AuthenticateUserReturn")
        success = next((c.text for c in body if local(c.tag) == "Success"), None)
        if success is None:
            raise MalformedResponse("the answer has no Success element", operation="authenticateUser")
        return to_bool(success)

    def get_secure_token(self, user_id, timeout_seconds=None):
        """A short-lived token that identifies ``user_id`` to a third party."""
        b = Builder(NS_AUTH)
        root = b.root("secureTokenRequest")
        b.sub(root, "userId", user_id)
        b.opt(root, "tokenTimeoutSeconds", timeout_seconds)
        body = self._call(NS_AUTH, "getSecureToken", root, "secureTokenResponse", idempotent=False)
        token = next((c.text for c in body if local(c.tag) == "token"), None)
        if not token:
            raise MalformedResponse("the answer has no token", operation="getSecureToken")
        return token

    def validate_token(self, token, user_id=None):
        """Check a secure token (and, when given, that it was issued for ``user_id``)."""
        b = Builder(NS_AUTH)
        root = b.root("validateTokenRequest")
        if user_id:
            b.sub(b.sub(root, "identity"), "userId", user_id)
        b.sub(root, "token", token)
        body = self._call(NS_AUTH, "validateToken", root, "validateTokenResponse", idempotent=False)
        values = {local(c.tag): c.text for c in body}
        code = values.get("statusCode")
        return TokenStatus(
            valid=(code or "").upper() == "SUCCESS", code=code, message=values.get("statusMessage")
        )


# --- response parsing ----------------------------------------------------------------------


def _response_data(body, parse_one):
    """Records of a query answer's ``responseData`` element (none when it is absent)."""
    data = next((c for c in body if local(c.tag) == "responseData"), None)
    return [] if data is None else [parse_one(el) for el in data]


def _check_page_size(size):
    size = int(size)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE}, not {size}")
    return size


def _address_out(b, parent, address):
    el = b.sub(parent, "address")
    for name in ("address1", "address2", "city", "state", "zipcode", "country", "region"):
        b.opt(el, name, getattr(address, name))


def _address(element):
    address = Address()
    for child in element:
        setattr(address, local(child.tag), child.text)
    return address


def _product(element):
    product = Product(name="")
    for child in element:
        name = local(child.tag)
        if name == "productName":
            product.name = child.text
        elif name == "version":
            product.version = child.text
        elif name == "uniqueId":
            product.unique_id = child.text
        elif name == "description":
            product.description = child.text
        elif name == "state":
            product.state = child.text
        elif name == "productCategory":
            product.category = child.text
        elif name == "partNumbers":
            for part in child:
                part_id = identifier(part, "partId")
                model = next((c for c in part if local(c.tag) == "licenseModel"), None)
                product.part_numbers.append(
                    PartNumber(
                        part_id=part_id,
                        unique_id=next((c.text for c in part if local(c.tag) == "uniqueId"), None),
                        license_model=identifier(model, "name") if model is not None else None,
                    )
                )
        elif name == "customAttributes":
            product.attributes = attributes(child)
        elif name == "creationDate":
            product.created = to_datetime(child.text)
        elif name == "lastModifiedDate":
            product.last_modified = to_datetime(child.text)
    return product


def _account(element, id_tag="account", id_key="id", name_tag="name", type_tag="accountType"):
    """An ``acctData`` (v3); with the v1 tag names, an ``orgData`` (organization)."""
    account = Account(account_id="", name="")
    for child in element:
        name = local(child.tag)
        if name == id_tag:
            account.account_id = identifier(child, id_key)
            account.unique_id = next((c.text for c in child if local(c.tag) == "uniqueId"), None)
        elif name == name_tag:
            account.name = child.text
        elif name == type_tag:
            account.account_type = child.text
        elif name == "description":
            account.description = child.text
        elif name == "address":
            account.address = _address(child)
        elif name == "visible":
            account.visible = to_bool(child.text)
        elif name == "customAttributes":
            account.attributes = attributes(child)
        elif name == "dateLastModified":
            account.last_modified = to_datetime(child.text)
        elif name == "createdDate":
            account.created = to_datetime(child.text)
    return account


def _organization(element):
    return _account(element, id_tag="organization", id_key="name", name_tag="displayName", type_tag="orgType")


def _user(element):
    user = User(user_name=None, first_name="", last_name="", email="")
    for child in element:
        name = local(child.tag)
        if name == "userIdentifier":
            for part in child:
                tag = local(part.tag)
                if tag == "uniqueId":
                    user.unique_id = part.text
                elif tag == "userName":
                    user.user_name = part.text
                elif tag == "primaryKeys":
                    keys = {local(k.tag): k.text for k in part}
                    user.first_name = keys.get("firstName") or ""
                    user.last_name = keys.get("lastName") or ""
                    user.email = keys.get("emailAddress") or ""
                    user.phone = keys.get("phoneNumber")
        elif name == "displayName":
            user.display_name = child.text
        elif name == "status":
            user.active = child.text == "Active"
        elif name == "domain":
            user.domain = child.text
        elif name == "locale":
            user.locale = child.text
        elif name == "country":
            user.country = child.text
        elif name == "dateCreated":
            user.created = to_datetime(child.text)
        elif name == "dateLastModified":
            user.last_modified = to_datetime(child.text)
        elif name == "dateLastLogin":
            user.last_login = to_datetime(child.text)
        elif name in ("accountRolesList", "orgRolesList"):
            for membership in child:
                account_id = None
                roles = []
                for part in membership:
                    tag = local(part.tag)
                    if tag == "account":
                        account_id = identifier(part, "id")
                    elif tag == "organization":
                        account_id = identifier(part, "name")
                    elif tag == "roles":
                        roles = [r.text for r in part]
                user.accounts.append(AccountRoles(account_id, tuple(roles)))
    return user


def _maintenance(element):
    item = MaintenanceLineItem(activation_id="")
    for child in element:
        name = local(child.tag)
        if name == "activationId":
            # idType (id) in getEntitlementsQuery, identifier type in line item queries
            item.activation_id = next((c.text for c in child if local(c.tag) == "id"), None) or identifier(
                child, "activationId"
            )
        elif name == "maintenanceProduct":
            item.product_name, item.product_version = product_identifier(child)
        elif name == "partNumber":
            item.part_number = identifier(child, "partId")
        elif name == "orderId":
            item.order_id = child.text
        elif name == "orderLineNumber":
            item.order_line_number = child.text
        elif name == "startDate":
            item.start_date = to_date(child.text)
        elif name == "expirationDate":
            item.expiration_date = to_date(child.text)
        elif name == "isPermanent":
            item.is_permanent = to_bool(child.text)
        elif name == "state":
            item.state = child.text
        elif name == "parentLineItem":
            item.parent_activation_id = identifier(child, "activationId")
    return item


LINE_ITEM_TAG = f"{{{NS_ENTITLEMENTS}}}entitlementLineItem"


def _set_text(attr):
    def setter(item, child):
        setattr(item, attr, child.text)

    return setter


def _set(attr, convert):
    def setter(item, child):
        setattr(item, attr, convert(child.text))

    return setter


def _set_product(item, child):
    item.product_name, item.product_version = product_identifier(child)


def _set_maintenance(item, child):
    maintenance = _maintenance(child)
    # nested under its parent line: the parent is the line itself
    maintenance.parent_activation_id = maintenance.parent_activation_id or item.activation_id
    item.maintenance.append(maintenance)


def _set_ident(attr):
    """Setter for an identifier with a one-field primary key."""

    def setter(item, child):
        setattr(item, attr, single_key(child))

    return setter


_LINE_ITEM_SETTERS = {
    "activationId": _set_ident("activation_id"),
    "description": _set_text("description"),
    "state": _set_text("state"),
    "orderId": _set_text("order_id"),
    "orderLineNumber": _set_text("order_line_number"),
    "entitlementId": _set_ident("entitlement_id"),
    "soldTo": _set_ident("sold_to"),
    "soldToDisplayName": _set_text("sold_to_name"),
    "entitlementState": _set_text("entitlement_state"),
    "product": _set_product,
    "partNumber": _set_ident("part_number"),
    "lineItemSupportAction": _set_text("support_action"),
    "parentLineItem": _set_ident("parent_activation_id"),
    "startDate": _set("start_date", to_date),
    "isPermanent": _set("is_permanent", to_bool),
    "expirationDate": _set("expiration_date", to_date),
    "numberOfCopies": _set("number_of_copies", to_int),
    "fulfilledAmount": _set("fulfilled_amount", to_int),
    "numberOfRemainingCopies": _set("remaining_copies", to_int),
    "maintenanceLineItems": _set_maintenance,
    "createdOnDateTime": _set("created", to_datetime),
    "lastModifiedDateTime": _set("last_modified", to_datetime),
}


# the same setters keyed by qualified tag: the hot loop needs no string splitting
_LINE_ITEM_SETTERS_QUALIFIED = {f"{{{NS_ENTITLEMENTS}}}{k}": v for k, v in _LINE_ITEM_SETTERS.items()}


def _line_item(element):
    item = LineItem(activation_id="")
    setters = _LINE_ITEM_SETTERS_QUALIFIED
    for child in element:
        setter = setters.get(child.tag)
        if setter is not None:
            setter(item, child)
    return item


def _id_type(element):
    return next((c.text for c in element if local(c.tag) == "id"), None)


def _entitlement(element):
    ent = Entitlement(entitlement_id="")
    for child in element:
        name = local(child.tag)
        if name == "entitlementId":
            ent.entitlement_id = _id_type(child)
        elif name == "lastModifiedDateTime":
            ent.last_modified = to_datetime(child.text)
        elif name == "description":
            ent.description = child.text
        elif name == "soldTo":
            ent.sold_to = child.text
        elif name == "soldToName":
            ent.sold_to_name = child.text
        elif name == "shipToEmail":
            ent.ship_to_email = child.text
        elif name == "shipToAddress":
            ent.ship_to_address = child.text
        elif name == "state":
            ent.state = child.text
        elif name == "lineItems":
            line = LineItem(activation_id="", entitlement_id=ent.entitlement_id, sold_to=ent.sold_to)
            for part in child:
                tag = local(part.tag)
                if tag == "activationId":
                    line.activation_id = _id_type(part)
                elif tag == "fulfilledCount":
                    line.fulfilled_amount = to_int(part.text)
                else:
                    setter = _LINE_ITEM_SETTERS.get(tag)
                    if setter is not None:
                        setter(line, part)
            ent.line_items.append(line)
        elif name == "maintenanceLineItems":
            ent.maintenance_line_items.append(_maintenance(child))
    return ent


def _created_entitlement(element):
    created = CreatedEntitlement(entitlement_id="")
    for child in element:
        name = local(child.tag)
        if name == "entitlementId":
            created.entitlement_id = child.text
        elif name == "uniqueId":
            created.unique_id = child.text
        elif name == "lineItemIdentifiers":
            created.activation_ids.append(identifier(child, "activationId"))
        elif name == "maintenanceLineItemIdentifiers":
            created.maintenance_activation_ids.append(identifier(child, "activationId"))
    return created
