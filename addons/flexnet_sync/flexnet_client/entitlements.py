"""EntitlementOrderService v4: line items, entitlements and their count; creating simple
entitlements, adding line items, linking maintenance, entitlement states, e-mail."""

from datetime import datetime, timedelta

from .base import NS_ENTITLEMENTS, failed_records
from .exceptions import OperationFailed
from .records import (
    ENTITLEMENT_STATES,
    OP_CREATE_OR_IGNORE,
    STATUS_SUCCESS,
    CreatedEntitlement,
    Entitlement,
    EntitlementState,
    FailedRecord,
    LineItem,
    MaintenanceLineItem,
)
from .xmlutil import (
    Builder,
    identifier,
    local,
    product_identifier,
    single_key,
    to_bool,
    to_date,
    to_datetime,
    to_int,
)

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


class EntitlementOrderMixin:
    """Entitlements and their line items (EntitlementOrderService v4)."""

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
        criteria = {
            "modified_since": modified_since,
            "sold_to": sold_to,
            "entitlement_id": entitlement_id,
            "activation_id": activation_id,
            "order_id": order_id,
        }

        def build(page, size):
            root = b.root("searchEntitlementLineItemPropertiesRequest")
            _line_criteria(b, b.sub(root, "queryParams"), **criteria)
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
            key=lambda line: line.activation_id,
        )

    def iter_line_items(self, **kwargs):
        for page in self.iter_line_item_pages(**kwargs):
            yield from page

    def count_line_items(
        self, *, modified_since=None, sold_to=None, entitlement_id=None, activation_id=None, order_id=None
    ):
        """``getActivatableItemCount`` with the criteria of :meth:`iter_line_item_pages`: the
        line items a walk of them returns (their maintenance line items are not counted)."""
        b = Builder(NS_ENTITLEMENTS)
        root = b.root("getActivatableItemCountRequest")
        _line_criteria(
            b,
            b.sub(root, "queryParams"),
            modified_since=modified_since,
            sold_to=sold_to,
            entitlement_id=entitlement_id,
            activation_id=activation_id,
            order_id=order_id,
        )
        return self._count(
            NS_ENTITLEMENTS, "getActivatableItemCount", root, "getActivatableItemCountResponse"
        )

    def _entitlement_criteria(self, b, criteria, *, entitlement_id=None, sold_to=None, modified_since=None):
        if isinstance(modified_since, datetime):
            # the service filters by day: ask from the day before, upserts are idempotent
            modified_since = modified_since.date() - timedelta(days=1)
        b.query(criteria, "entitlementId", entitlement_id)
        b.query(criteria, "soldTo", sold_to)
        b.query(criteria, "lastModifiedDate", modified_since, "AFTER")

    def iter_entitlement_pages(
        self, *, entitlement_id=None, sold_to=None, modified_since=None, page_size=None
    ):
        """Pages of :class:`Entitlement` with their line items: the simple entitlements (the
        site's bulk entitlements are skipped, the walk goes on past them)."""
        b = Builder(NS_ENTITLEMENTS)

        def build(page, size):
            root = b.root("searchEntitlementRequest")
            criteria = b.sub(root, "entitlementSearchCriteria")
            self._entitlement_criteria(
                b, criteria, entitlement_id=entitlement_id, sold_to=sold_to, modified_since=modified_since
            )
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
            NS_ENTITLEMENTS,
            "getEntitlementsQuery",
            "searchEntitlementResponse",
            build,
            parse,
            page_size,
            key=lambda entitlement: entitlement.entitlement_id,
            # bulk entitlements fill the page too: a page of fewer simple ones is not the last
            entries=lambda body: sum(1 for el in body if local(el.tag) == "entitlement"),
        )

    def count_entitlements(self, *, entitlement_id=None, sold_to=None, modified_since=None):
        """``getEntitlementCount`` with the criteria of :meth:`iter_entitlement_pages`."""
        b = Builder(NS_ENTITLEMENTS)
        root = b.root("getEntitlementCountRequest")
        criteria = b.sub(root, "queryParams")
        self._entitlement_criteria(
            b, criteria, entitlement_id=entitlement_id, sold_to=sold_to, modified_since=modified_since
        )
        return self._count(NS_ENTITLEMENTS, "getEntitlementCount", root, "getEntitlementCountResponse")

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
        """``createSimpleEntitlement``; ``created`` holds :class:`CreatedEntitlement` records.

        Each :class:`NewEntitlement` is deployed at once unless its ``auto_deploy`` is False."""
        b = Builder(NS_ENTITLEMENTS)

        def build(chunk):
            root = b.root("createSimpleEntitlementRequest")
            for ent in chunk:
                el = b.sub(root, "simpleEntitlement")
                _id_type_out(b, el, "entitlementId", ent.entitlement_id)
                b.opt(el, "description", ent.description)
                b.opt(el, "soldTo", ent.sold_to)
                b.opt(el, "shipToEmail", ent.ship_to_email)
                b.opt(el, "shipToAddress", ent.ship_to_address)
                b.opt(el, "emailTemplateVariation", ent.email_template_variation)
                _items_out(b, el, ent.line_items, ent.maintenance_line_items)
                b.sub(el, "autoDeploy", ent.auto_deploy)
                b.opt(el, "allowPortalLogin", ent.allow_portal_login)
            b.sub(root, "opType", op_type)
            return root

        def parse(body, chunk):
            data = next((c for c in body if local(c.tag) == "responseData"), None)
            created = [] if data is None else [_created_entitlement(el) for el in data]
            return created, failed_records(body, "simpleEntitlement", _echoed_entitlement_id)

        return self._write(
            NS_ENTITLEMENTS,
            "createSimpleEntitlement",
            "createSimpleEntitlementResponse",
            entitlements,
            build,
            parse,
        )

    def create_line_items(self, additions, *, op_type=OP_CREATE_OR_IGNORE):
        """``createEntitlementLineItem``: line and maintenance items added to existing
        entitlements, one :class:`LineItemAddition` per entitlement; ``created`` holds a
        :class:`CreatedEntitlement` (the entitlement and the activation IDs added) per addition."""
        b = Builder(NS_ENTITLEMENTS)

        def build(chunk):
            root = b.root("createEntitlementLineItemRequest")
            for addition in chunk:
                el = b.sub(root, "lineItem")
                _entitlement_identifier_out(b, el, addition.entitlement_id)
                _items_out(b, el, addition.line_items, addition.maintenance_line_items)
                b.sub(el, "autoDeploy", addition.auto_deploy)
            b.opt(root, "opType", op_type)
            return root

        def parse(body, chunk):
            data = next((c for c in body if local(c.tag) == "responseData"), None)
            created = [] if data is None else [_created_entitlement(el) for el in data]
            return created, failed_records(body, "lineItem", _identified_entitlement_id)

        return self._write(
            NS_ENTITLEMENTS,
            "createEntitlementLineItem",
            "createEntitlementLineItemResponse",
            additions,
            build,
            parse,
        )

    def link_maintenance(self, links):
        """``linkMaintenanceLineItem``: each :class:`MaintenanceLink` attaches a maintenance line
        item to one more line item. ``created`` holds the links made; a refused link is a
        :class:`FailedRecord` keyed by its maintenance activation ID."""
        b = Builder(NS_ENTITLEMENTS)

        def build(chunk):
            root = b.root("linkMaintenanceLineItemRequest")
            container = b.sub(root, "linkMaintenanceLineItemList")
            for link in chunk:
                el = b.sub(container, "linkMaintenanceLineItem")
                _line_identifier_out(b, el, "lineItemIdentifier", link.activation_id)
                _line_identifier_out(b, el, "maintenanceLineItemIdentifier", link.maintenance_activation_id)
            return root

        def parse(body, chunk):
            echoed = failed_records(body, "linkMaintenanceLineItem", _echoed_link)
            refused = {f.key for f in echoed}
            done = [
                link for link in chunk if (link.activation_id, link.maintenance_activation_id) not in refused
            ]
            # a refused link is known to the caller by its maintenance line item
            return done, [FailedRecord(f.key[1] if f.key else None, f.reason) for f in echoed]

        return self._write(
            NS_ENTITLEMENTS, "linkMaintenanceLineItem", "linkMaintenanceLineItemResponse", links, build, parse
        )

    def set_entitlement_states(self, changes):
        """``setEntitlementState`` for :class:`EntitlementState` records (DRAFT, DEPLOYED,
        INACTIVE or OBSOLETE); ``created`` holds the changes FlexNet accepted."""
        b = Builder(NS_ENTITLEMENTS)
        changes = list(changes)
        for change in changes:
            if change.state not in ENTITLEMENT_STATES:
                raise ValueError(
                    f"entitlement state must be one of {', '.join(ENTITLEMENT_STATES)}, not {change.state!r}"
                )

        def build(chunk):
            root = b.root("setEntitlementStateRequest")
            for change in chunk:
                el = b.sub(root, "entitlement")
                _entitlement_identifier_out(b, el, change.entitlement_id)
                b.sub(el, "stateToSet", change.state)
            return root

        def parse(body, chunk):
            failed = failed_records(body, "entitlement", _identified_entitlement_id)
            refused = {f.key for f in failed}
            return [c for c in chunk if c.entitlement_id not in refused], failed

        return self._write(
            NS_ENTITLEMENTS, "setEntitlementState", "setEntitlementStateResponse", changes, build, parse
        )

    def set_entitlement_state(self, entitlement_id, state):
        """Set one entitlement's state; raises :class:`OperationFailed` when FlexNet refuses."""
        return self.set_entitlement_states([EntitlementState(entitlement_id, state)])

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


# --- request building ----------------------------------------------------------------------


def _line_criteria(b, params, *, modified_since, sold_to, entitlement_id, activation_id, order_id):
    """``searchActivatableItemDataType`` criteria, in the schema's order."""
    b.query(params, "entitlementId", entitlement_id)
    b.query(params, "activationId", activation_id)
    b.query(params, "orderId", order_id)
    b.query(params, "soldTo", sold_to)
    b.query(params, "lastModifiedDateTime", modified_since, "AFTER")


def _id_type_out(b, parent, name, value):
    """An ``idType``: the given ID, or one FlexNet generates."""
    el = b.sub(parent, name)
    if value:
        b.sub(el, "id", value)
    else:
        b.sub(el, "autoGenerate", True)


def _entitlement_identifier_out(b, parent, entitlement_id):
    b.sub(b.sub(b.sub(parent, "entitlementIdentifier"), "primaryKeys"), "entitlementId", entitlement_id)


def _line_identifier_out(b, parent, name, activation_id):
    b.sub(b.sub(b.sub(parent, name), "primaryKeys"), "activationId", activation_id)


def _items_out(b, parent, line_items, maintenance_line_items):
    """``lineItems`` and ``maintenanceLineItems`` (createEntitlementLineItemDataType and
    createMaintenanceLineItemDataType, shared by createSimpleEntitlement and
    createEntitlementLineItem)."""
    for line in line_items:
        li = b.sub(parent, "lineItems")
        _id_type_out(b, li, "activationId", line.activation_id)
        b.opt(li, "description", line.description)
        b.sub(b.sub(b.sub(li, "partNumber"), "primaryKeys"), "partId", line.part_number)
        b.opt(li, "orderId", line.order_id)
        b.opt(li, "orderLineNumber", line.order_line_number)
        b.sub(li, "numberOfCopies", line.number_of_copies)
        b.opt(li, "startDate", line.start_date)
        b.sub(li, "isPermanent", line.is_permanent)
        if not line.is_permanent:
            b.opt(li, "expirationDate", line.expiration_date)
    for maint in maintenance_line_items:
        mi = b.sub(parent, "maintenanceLineItems")
        _id_type_out(b, mi, "activationId", maint.activation_id)
        b.sub(b.sub(b.sub(mi, "partNumber"), "primaryKeys"), "partId", maint.part_number)
        b.opt(mi, "orderId", maint.order_id)
        b.opt(mi, "orderLineNumber", maint.order_line_number)
        b.opt(mi, "startDate", maint.start_date)
        if not maint.is_permanent:
            b.opt(mi, "expirationDate", maint.expiration_date)
        b.sub(mi, "isPermanent", maint.is_permanent)
        _line_identifier_out(b, mi, "parentLineItem", maint.parent_activation_id)


# --- response parsing ----------------------------------------------------------------------


def _echoed_entitlement_id(element):
    """The entitlement ID of an echoed ``createSimpleEntitlementDataType``."""
    ent_id = next((c for c in element if local(c.tag) == "entitlementId"), None)
    return None if ent_id is None else next((c.text for c in ent_id if local(c.tag) == "id"), None)


def _identified_entitlement_id(element):
    """The entitlement ID of an echoed record with an ``entitlementIdentifier``."""
    ident = next((c for c in element if local(c.tag) == "entitlementIdentifier"), None)
    return None if ident is None else identifier(ident, "entitlementId")


def _echoed_link(element):
    keys = {local(c.tag): identifier(c, "activationId") for c in element}
    return keys.get("lineItemIdentifier"), keys.get("maintenanceLineItemIdentifier")


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
        elif name == "entitlementIdentifier":  # createEntitlementLineItem's answer
            created.entitlement_id = identifier(child, "entitlementId")
            created.unique_id = next((c.text for c in child if local(c.tag) == "uniqueId"), None)
        elif name == "uniqueId":
            created.unique_id = child.text
        elif name == "lineItemIdentifiers":
            created.activation_ids.append(identifier(child, "activationId"))
        elif name == "maintenanceLineItemIdentifiers":
            created.maintenance_activation_ids.append(identifier(child, "activationId"))
    return created
