"""EntitlementOrderService v4, reading: line items, entitlements, maintenance line items, the
entitlement count, and the entitlement e-mail."""

import json

from ..store import now_stamp
from ..wire import BadRequest, render, status
from .common import (
    NS_V4,
    READ_CAP,
    NotModelled,
    as_bool,
    attributes,
    boolean,
    criteria,
    day,
    enum_cases,
    ident,
    local_name,
    matches_nothing,
    moment,
    number,
    paging,
    pk,
    product_ident,
    text,
    too_many,
    where_sql,
    within,
)

LINE_SQL = """
SELECT l.*, e.entitlement_id AS ent_id, e.unique_id AS ent_unique, e.sold_to, e.state AS ent_state,
       e.description AS ent_description, e.ship_to_email, e.ship_to_address, e.allow_portal_login,
       a.name AS sold_to_name, a.unique_id AS account_unique, p.name AS product_name, p.version AS product_version,
       p.unique_id AS product_unique, pn.license_model, pn.description AS part_description, pn.unique_id AS part_unique
FROM line_items l
JOIN entitlements e ON e.id = l.entitlement
LEFT JOIN accounts a ON a.account_id = e.sold_to
JOIN part_numbers pn ON pn.part_id = l.part_id
JOIN products p ON p.id = pn.product_id
"""

MAINT_SQL = """
SELECT m.*, e.entitlement_id AS ent_id, e.unique_id AS ent_unique, p.name AS product_name,
       p.version AS product_version, p.unique_id AS product_unique, pn.unique_id AS part_unique,
       pn.description AS part_description
FROM maintenance_items m
JOIN entitlements e ON e.id = m.entitlement
JOIN part_numbers pn ON pn.part_id = m.part_id
JOIN products p ON p.id = pn.product_id
"""

_NO_CHANNEL_TIERS = NotModelled("the simulated entitlements have no channel-partner tiers")
_NO_TECHNOLOGY = NotModelled("the simulated products have no license technology")
_NO_VERSION_DATE = NotModelled("the simulated line items have no version date")

LINE_CRITERIA = {
    # the simulated bulk entitlements have no web register keys, hence no line items
    "parentBulkEntitlementId": matches_nothing,
    "entitlementId": text("e.entitlement_id"),
    "activationId": text("l.activation_id"),
    "productName": text("p.name"),
    "productVersion": text("p.version"),
    "productType": enum_cases({"LICENSED_PRODUCT": "1", "SUITE": "0", "MAINTENENACE": "0"}),
    "partNumber": text("l.part_id"),
    "startDate": day("l.start_date"),
    "isPermanent": boolean("l.is_permanent = 1"),
    "expirationDate": day("l.expiration_date"),
    "versionDate": _NO_VERSION_DATE,
    "licenseTechnology": _NO_TECHNOLOGY,
    "orderId": text("l.order_id"),
    "orderLineNumber": text("l.order_line_number"),
    "withNoOrderId": boolean("(l.order_id IS NULL OR l.order_id = '')", "1"),
    "restrictToItemsWithCount": boolean("l.number_of_copies > l.fulfilled", "1"),
    "fulfilledAmount": number("l.fulfilled"),
    "userId": NotModelled("the simulated line items are not mapped to users"),
    "customAttributes": attributes({}, "line items"),
    "soldTo": text("e.sold_to"),
    "parentBulkEntSoldTo": matches_nothing,
    "activatableItemType": enum_cases({"LINEITEM": "1", "WEBREGKEY": "0"}),
    "allowPortalLogin": boolean("e.allow_portal_login = 1"),
    "accountUnitName": _NO_CHANNEL_TIERS,
    # the current owner is the sold-to account
    "currentOwnerName": text("a.name"),
    "lineItemParentLineItemId": text("l.parent_activation_id"),
    "createdOnDateTime": moment("l.created"),
    "lastModifiedDateTime": moment("l.modified"),
    "lineItemAttributes": attributes({}, "line items"),
}

_ITEMS = "e.id IN (SELECT entitlement FROM entitlement_items i WHERE {})"
_ITEM_PRODUCTS = (
    "e.id IN (SELECT i.entitlement FROM entitlement_items i JOIN part_numbers pn ON pn.part_id = i.part_id "
    "JOIN products p ON p.id = pn.product_id WHERE {})"
)
_MAINTENANCE = "e.id IN (SELECT entitlement FROM maintenance_items m WHERE {})"

ENTITLEMENT_CRITERIA = {
    "entitlementId": text("e.entitlement_id"),
    "entDescription": text("e.description"),
    "productName": within(_ITEM_PRODUCTS, text("p.name")),
    "productVersion": within(_ITEM_PRODUCTS, text("p.version")),
    "productType": enum_cases(
        {
            "LICENSED_PRODUCT": "e.id IN (SELECT entitlement FROM entitlement_items)",
            "SUITE": "0",
            "MAINTENENACE": "e.id IN (SELECT entitlement FROM maintenance_items)",
        }
    ),
    "partNumber": within(_ITEMS, text("i.part_id")),
    "isBulk": boolean("e.kind = 'BULK'"),
    "soldTo": text("e.sold_to"),
    "shipToEmail": text("e.ship_to_email"),
    "contactEmail": NotModelled("the simulated entitlements have no contact"),
    "shipToAddress": text("e.ship_to_address"),
    "emailTemplateVariation": text("e.email_template_variation"),
    "startDate": within(_ITEMS, day("i.start_date")),
    "isPermanent": within(_ITEMS, boolean("i.is_permanent = 1")),
    "expirationDate": within(_ITEMS, day("i.expiration_date")),
    "createdOn": day("e.created"),
    "versionDate": _NO_VERSION_DATE,
    "lastModifiedDate": day("e.modified"),
    # description of a line item (entDescription is the entitlement's own)
    "description": within(_ITEMS, text("i.description")),
    "state": text("e.state"),
    "licenseTechnology": _NO_TECHNOLOGY,
    "createdUserId": text("e.created_by"),
    "accountUnitName": _NO_CHANNEL_TIERS,
    "currentOwnerName": text("a.name"),
    "maintStartDate": within(_MAINTENANCE, day("m.start_date")),
    "maintIsPermanent": within(_MAINTENANCE, boolean("m.is_permanent = 1")),
    "maintExpirationDate": within(_MAINTENANCE, day("m.expiration_date")),
    "entitlementAttributes": attributes({}, "entitlements"),
}

MAINTENANCE_CRITERIA = {
    "entitlementId": text("e.entitlement_id"),
    "activationId": text("m.activation_id"),
    "maintenanceProductName": text("p.name"),
    "maintenanceProductVersion": text("p.version"),
    "partNumber": text("m.part_id"),
    "startDate": day("m.start_date"),
    "isPermanent": boolean("m.is_permanent = 1"),
    "expirationDate": day("m.expiration_date"),
    "createdOnDateTime": moment("m.created"),
    "lastModifiedDateTime": moment("m.modified"),
    "orderId": text("m.order_id"),
    "orderLineNumber": text("m.order_line_number"),
    "withNoOrderId": boolean("(m.order_id IS NULL OR m.order_id = '')", "1"),
    "maintenanceLineItemAttributes": attributes({}, "maintenance line items"),
}


def _wanted(config):
    """The field names a response configuration asks for."""
    if config is None:
        raise BadRequest("the response configuration is required")
    return {local_name(c.tag) for c in config.el if (c.text or "").strip() in ("true", "1")}


def maintenance_for(db, activation_ids):
    """The maintenance line items of each line: those it is the parent of, and those linked to it."""
    found = {}
    for start in range(0, len(activation_ids), 400):
        chunk = activation_ids[start : start + 400]
        marks = ",".join("?" * len(chunk))
        for row in db.execute(
            f"SELECT parent_activation_id AS line, m.* FROM ({MAINT_SQL}) m WHERE parent_activation_id IN ({marks}) "
            f"UNION SELECT k.activation_id AS line, m.* FROM maintenance_links k JOIN ({MAINT_SQL}) m "
            f"ON m.id = k.maintenance WHERE k.activation_id IN ({marks}) ORDER BY id",
            [*chunk, *chunk],
        ):
            found.setdefault(row["line"], []).append(row)
    return found


def linked_lines(db, maintenance_ids):
    """Activation IDs of the lines each maintenance line item is linked to (its parent first)."""
    found = {}
    for start in range(0, len(maintenance_ids), 900):
        chunk = maintenance_ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for row in db.execute(
            f"SELECT id, parent_activation_id FROM maintenance_items WHERE id IN ({marks})", chunk
        ):
            found.setdefault(row["id"], []).append(row["parent_activation_id"])
        for row in db.execute(
            f"SELECT maintenance, activation_id FROM maintenance_links WHERE maintenance IN ({marks}) "
            "ORDER BY activation_id",
            chunk,
        ):
            found.setdefault(row["maintenance"], []).append(row["activation_id"])
    return found


def _partial(ctx, items, what):
    if ctx.partial:
        return status("PARTIAL_FAILURE", f"some {what} could not be read"), items[: len(items) // 2]
    return status(), items


def get_line_items(ctx, req):
    page, size = paging(req, required_page=False)
    if size > READ_CAP:
        return too_many(NS_V4, "searchEntitlementLineItemPropertiesResponse", size)
    q = req.one("queryParams")
    if q is None:
        raise BadRequest("queryParams is required")
    wanted = _wanted(req.one("entitlementLineItemResponseConfig"))
    where, params = criteria(q, LINE_CRITERIA, "getEntitlementLineItemPropertiesQuery")
    db = ctx.store.db
    # pages in the order the lines were created: a walk while lines change neither skips
    # nor repeats one
    rows = db.execute(
        f"{LINE_SQL}{where_sql(where)} ORDER BY l.id LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    maintenance = maintenance_for(db, [r["activation_id"] for r in rows]) if "maintenance" in wanted else {}
    items = []
    for row in rows:
        fields = [
            ("activationId", ident(row["unique_id"], "activationId", row["activation_id"])),
            ("description", row["description"]),
            ("state", row["state"]),
            ("activatableItemType", "LINEITEM"),
            ("orderId", row["order_id"]),
            ("orderLineNumber", row["order_line_number"]),
            ("entitlementId", ident(row["ent_unique"], "entitlementId", row["ent_id"])),
            ("soldTo", ident(row["account_unique"], "id", row["sold_to"]) if row["sold_to"] else None),
            ("soldToDisplayName", row["sold_to_name"]),
            ("entitlementState", row["ent_state"]),
            ("entitlementDescription", row["ent_description"]),
            (
                "allowPortalLogin",
                None if row["allow_portal_login"] is None else bool(row["allow_portal_login"]),
            ),
            ("shipToEmail", row["ship_to_email"]),
            ("shipToAddress", row["ship_to_address"]),
            ("product", product_ident(row["product_unique"], row["product_name"], row["product_version"])),
            ("productDescription", row["product_name"]),
            ("partNumber", ident(row["part_unique"], "partId", row["part_id"])),
            ("partNumberDescription", row["part_description"]),
            ("licenseModel", pk("name", row["license_model"]) if row["license_model"] else None),
            ("lineItemSupportAction", row["support_action"]),
            (
                "parentLineItem",
                pk("activationId", row["parent_activation_id"]) if row["parent_activation_id"] else None,
            ),
            ("startDate", row["start_date"]),
            ("isPermanent", bool(row["is_permanent"])),
            ("expirationDate", None if row["is_permanent"] else row["expiration_date"]),
            ("numberOfCopies", row["number_of_copies"]),
            ("fulfilledAmount", row["fulfilled"]),
            ("numberOfRemainingCopies", row["number_of_copies"] - row["fulfilled"]),
        ]
        kept = [(name, value) for name, value in fields if name in wanted]
        for m in maintenance.get(row["activation_id"], []):
            kept.append(
                (
                    "maintenanceLineItems",
                    [
                        ("activationId", ident(m["unique_id"], "activationId", m["activation_id"])),
                        (
                            "maintenanceProduct",
                            product_ident(m["product_unique"], m["product_name"], m["product_version"]),
                        ),
                        (
                            "partNumber",
                            pk("partId", m["part_id"]) if "maintenancePartNumber" in wanted else None,
                        ),
                        ("orderId", m["order_id"]),
                        ("orderLineNumber", m["order_line_number"]),
                        ("startDate", m["start_date"]),
                        ("expirationDate", None if m["is_permanent"] else m["expiration_date"]),
                        ("isPermanent", bool(m["is_permanent"])),
                        ("state", m["state"]),
                    ],
                )
            )
        for name, value in (("createdOnDateTime", row["created"]), ("lastModifiedDateTime", row["modified"])):
            if name in wanted:
                kept.append((name, value))
        items.append(("entitlementLineItem", kept))
    info, items = _partial(ctx, items, "line items")
    return render(NS_V4, "searchEntitlementLineItemPropertiesResponse", [info, *items])


def get_maintenance_items(ctx, req):
    page, size = paging(req, required_page=False)
    response = "searchEntitlementMaintenanceLineItemPropertiesResponse"
    if size > READ_CAP:
        return too_many(NS_V4, response, size)
    q = req.one("queryParams")
    if q is None:
        raise BadRequest("queryParams is required")
    wanted = _wanted(req.one("entitlementMaintenanceLineItemResponseConfig"))
    where, params = criteria(q, MAINTENANCE_CRITERIA, "getEntitlementMaintenanceLineItemPropertiesQuery")
    db = ctx.store.db
    rows = db.execute(
        f"{MAINT_SQL}{where_sql(where)} ORDER BY m.id LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    links = linked_lines(db, [r["id"] for r in rows]) if "linkedEntitlementLineItem" in wanted else {}
    items = []
    for m in rows:
        fields = [
            ("activationId", ident(m["unique_id"], "activationId", m["activation_id"])),
            ("state", m["state"]),
            ("orderId", m["order_id"]),
            ("orderLineNumber", m["order_line_number"]),
            ("entitlementId", ident(m["ent_unique"], "entitlementId", m["ent_id"])),
            (
                "maintenanceProduct",
                product_ident(m["product_unique"], m["product_name"], m["product_version"]),
            ),
            ("maintenanceProductDescription", m["product_name"] if "maintenanceProduct" in wanted else None),
            ("maintenancePartNumber", ident(m["part_unique"], "partId", m["part_id"])),
            ("maintenancePartNumberDescription", m["part_description"]),
            ("startDate", m["start_date"]),
            ("isPermanent", bool(m["is_permanent"])),
            ("expirationDate", None if m["is_permanent"] else m["expiration_date"]),
            ("createdOnDateTime", m["created"]),
            ("lastModifiedDateTime", m["modified"]),
        ]
        kept = [
            (name, value)
            for name, value in fields
            if name in wanted or (name == "maintenanceProductDescription" and value is not None)
        ]
        kept += [("linkedLineItemActivationId", line) for line in links.get(m["id"], [])]
        items.append(("entitlementMaintenanceLineItem", kept))
    info, items = _partial(ctx, items, "maintenance line items")
    return render(NS_V4, response, [info, *items])


def _simple_pairs(db, ent):
    lines = db.execute(f"{LINE_SQL} WHERE l.entitlement = ? ORDER BY l.id", (ent["id"],)).fetchall()
    maints = db.execute(f"{MAINT_SQL} WHERE m.entitlement = ? ORDER BY m.id", (ent["id"],)).fetchall()
    links = linked_lines(db, [m["id"] for m in maints])
    line_pairs = [
        (
            "lineItems",
            [
                ("activationId", [("id", r["activation_id"])]),
                ("description", r["description"]),
                ("product", product_ident(r["product_unique"], r["product_name"], r["product_version"])),
                ("partNumber", pk("partId", r["part_id"])),
                ("licenseModel", pk("name", r["license_model"]) if r["license_model"] else None),
                ("orderId", r["order_id"]),
                ("orderLineNumber", r["order_line_number"]),
                ("numberOfCopies", r["number_of_copies"]),
                ("startDate", r["start_date"]),
                ("isPermanent", bool(r["is_permanent"])),
                ("expirationDate", None if r["is_permanent"] else r["expiration_date"]),
                ("numberOfRemainingCopies", r["number_of_copies"] - r["fulfilled"]),
                ("fulfilledCount", r["fulfilled"]),
                ("state", r["state"]),
                (
                    "parentLineItem",
                    pk("activationId", r["parent_activation_id"]) if r["parent_activation_id"] else None,
                ),
                ("createdOnDateTime", r["created"]),
                ("lastModifiedDateTime", r["modified"]),
            ],
        )
        for r in lines
    ]
    maint_pairs = [
        (
            "maintenanceLineItems",
            [
                ("activationId", [("id", m["activation_id"])]),
                (
                    "maintenanceProduct",
                    product_ident(m["product_unique"], m["product_name"], m["product_version"]),
                ),
                ("partNumber", pk("partId", m["part_id"])),
                ("orderId", m["order_id"]),
                ("orderLineNumber", m["order_line_number"]),
                ("startDate", m["start_date"]),
                ("expirationDate", None if m["is_permanent"] else m["expiration_date"]),
                ("isPermanent", bool(m["is_permanent"])),
                ("parentLineItem", pk("activationId", m["parent_activation_id"])),
                *[("associatedLineItems", pk("activationId", line)) for line in links.get(m["id"], [])[1:]],
                ("state", m["state"]),
            ],
        )
        for m in maints
    ]
    return [
        ("entitlementId", [("id", ent["entitlement_id"])]),
        ("lastModifiedDateTime", ent["modified"]),
        ("description", ent["description"]),
        ("soldTo", ent["sold_to"] or ""),  # required by the schema, empty without an end customer
        ("soldToName", ent["sold_to_name"]),
        ("shipToEmail", ent["ship_to_email"]),
        ("shipToAddress", ent["ship_to_address"]),
        ("emailTemplateVariation", ent["email_template_variation"]),
        ("state", ent["state"]),
        ("createdUserId", ent["created_by"]),
        *line_pairs,
        *maint_pairs,
        ("allowPortalLogin", None if ent["allow_portal_login"] is None else bool(ent["allow_portal_login"])),
    ]


def _bulk_pairs(db, ent):
    part = db.execute(
        "SELECT pn.part_id, pn.unique_id AS part_unique, pn.license_model, p.name, p.version, p.unique_id "
        "FROM part_numbers pn JOIN products p ON p.id = pn.product_id WHERE pn.part_id = ?",
        (ent["part_id"],),
    ).fetchone()
    return [
        ("entitlementId", [("id", ent["entitlement_id"])]),
        ("soldTo", ent["sold_to"]),
        ("product", product_ident(part["unique_id"], part["name"], part["version"])),
        ("partNumber", ident(part["part_unique"], "partId", part["part_id"])),
        ("licenseModel", pk("name", part["license_model"]) if part["license_model"] else None),
        ("shipToEmail", ent["ship_to_email"]),
        ("shipToAddress", ent["ship_to_address"]),
        ("orderId", ent["order_id"]),
        ("orderLineNumber", ent["order_line_number"]),
        ("startDateOption", "DEFINE_NOW"),
        ("isPermanent", bool(ent["is_permanent"])),
        ("expirationDate", None if ent["is_permanent"] else ent["expiration_date"]),
        ("description", ent["description"]),
        ("numberOfCopies", ent["number_of_copies"]),
        ("bulkEntitlementType", ent["bulk_type"]),
        ("allowPortalLogin", None if ent["allow_portal_login"] is None else bool(ent["allow_portal_login"])),
        ("state", ent["state"]),
        ("createdUserId", ent["created_by"]),
    ]


ENTITLEMENT_SQL = "FROM entitlements e LEFT JOIN accounts a ON a.account_id = e.sold_to"


def get_entitlements(ctx, req):
    page, size = paging(req, required_page=False)
    if size > READ_CAP:
        return too_many(NS_V4, "searchEntitlementResponse", size)
    q = req.one("entitlementSearchCriteria")
    if q is None:
        raise BadRequest("entitlementSearchCriteria is required")
    where, params = criteria(q, ENTITLEMENT_CRITERIA, "getEntitlementsQuery")
    db = ctx.store.db
    rows = db.execute(
        f"SELECT e.*, a.name AS sold_to_name {ENTITLEMENT_SQL}{where_sql(where)} ORDER BY e.id LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    ents = [
        (
            "entitlement",
            [("bulkEntitlement", _bulk_pairs(db, row))]
            if row["kind"] == "BULK"
            else [("simpleEntitlement", _simple_pairs(db, row))],
        )
        for row in rows
    ]
    info, ents = _partial(ctx, ents, "entitlements")
    return render(NS_V4, "searchEntitlementResponse", [info, *ents])


def count_line_items(ctx, req):
    """getActivatableItemCount: the line items getEntitlementLineItemPropertiesQuery would
    return for the same ``queryParams`` (the simulated site has no web register keys);
    ``restrictToItemsReadyToActivate`` keeps deployed items with copies left."""
    where, params = criteria(req.one("queryParams"), LINE_CRITERIA, "getActivatableItemCount")
    if as_bool(req.text("restrictToItemsReadyToActivate")):
        where.append("l.state = 'DEPLOYED' AND e.state = 'DEPLOYED' AND l.number_of_copies > l.fulfilled")
    count = ctx.store.db.execute(f"SELECT COUNT(*) FROM ({LINE_SQL}{where_sql(where)})", params).fetchone()[0]
    return render(NS_V4, "getActivatableItemCountResponse", [status(), ("count", count)])


def count_entitlements(ctx, req):
    where, params = criteria(req.one("queryParams"), ENTITLEMENT_CRITERIA, "getEntitlementCount")
    count = ctx.store.db.execute(f"SELECT COUNT(*) {ENTITLEMENT_SQL}{where_sql(where)}", params).fetchone()[0]
    return render(NS_V4, "getEntitlementCountResponse", [status(), ("count", count)])


def email_entitlement(ctx, req):
    ent_id = req.text("entitlementIdentifier/primaryKeys/entitlementId") or req.text(
        "entitlementIdentifier/uniqueId"
    )
    db = ctx.store.db
    ent = db.execute(
        "SELECT * FROM entitlements WHERE entitlement_id = ? OR unique_id = ?", (ent_id, ent_id)
    ).fetchone()
    if ent is None:
        return render(
            NS_V4, "emailEntitlementResponse", [status("FAILURE", f"entitlement {ent_id} does not exist")]
        )
    recipients = [(e.el.text or "").strip() for e in req.all("emailIdList/emailId")]
    recipients = [r for r in recipients if r]
    if not req.flag("ignoreExistingEmailList"):
        if ent["ship_to_email"]:
            recipients.append(ent["ship_to_email"])
        recipients += [
            r["email"]
            for r in db.execute(
                "SELECT u.email FROM users u JOIN user_accounts ua ON ua.user_id = u.id "
                "WHERE ua.account_id = ? AND ua.roles LIKE '%Admin%' ORDER BY u.id",
                (ent["sold_to"],),
            )
        ]
    recipients = list(dict.fromkeys(recipients))
    if not recipients:
        return render(
            NS_V4,
            "emailEntitlementResponse",
            [status("FAILURE", f"entitlement {ent['entitlement_id']} has no e-mail contact")],
        )
    cc = [(e.el.text or "").strip() for e in req.all("ccEmailIdList/emailId")]
    lines = db.execute(f"{LINE_SQL} WHERE l.entitlement = ? ORDER BY l.id", (ent["id"],)).fetchall()
    body = "\n".join(
        f"{r['activation_id']}: {r['product_name']} {r['product_version']} ({r['part_id']}), "
        f"{r['number_of_copies']} seat(s)"
        for r in lines
    )
    db.execute(
        "INSERT INTO outbox(entitlement_id, recipients, cc, locale, subject, body, sent) VALUES (?,?,?,?,?,?,?)",
        (
            ent["entitlement_id"],
            json.dumps(recipients),
            json.dumps([c for c in cc if c]),
            req.text("locale"),
            f"Your software entitlement {ent['entitlement_id']}",
            body,
            now_stamp(),
        ),
    )
    return render(NS_V4, "emailEntitlementResponse", [status()])
