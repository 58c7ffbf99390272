"""EntitlementOrderService v4, writing: simple and bulk entitlements, line items added to or
updated on an entitlement, maintenance linked to lines, and entitlement states.

States (the user guide's life cycle of entitlements and line items): an entitlement and its
items are created DEPLOYED when ``autoDeploy`` is true and DRAFT otherwise (``autoDeploy``
absent counts as false). ``setEntitlementState`` sets DRAFT, DEPLOYED, INACTIVE or OBSOLETE
and the entitlement's line and maintenance items follow; OBSOLETE is final.
"""

import calendar
from datetime import date, timedelta

from ..store import new_unique_id
from ..wire import render, status
from .common import (
    NS_V4,
    WRITE_CAP,
    Refused,
    as_bool,
    check_id,
    entitlement_row,
    failed_copy,
    ident,
    identified,
    op_type,
    refuse_unmodelled,
    too_many_writes,
    write_status,
)

SETTABLE_STATES = ("DRAFT", "DEPLOYED", "INACTIVE", "OBSOLETE")
# states in which a line item may still be edited (the user guide: inactive and obsolete
# line items cannot be edited)
EDITABLE_STATES = ("DRAFT", "DEPLOYED", "TEST")

SIMPLE_FIELDS = {
    "entitlementId",
    "description",
    "soldTo",
    "shipToEmail",
    "shipToAddress",
    "emailTemplateVariation",
    "lineItems",
    "maintenanceLineItems",
    "autoDeploy",
    "allowPortalLogin",
}
LINE_FIELDS = {
    "activationId",
    "description",
    "product",
    "partNumber",
    "orderId",
    "orderLineNumber",
    "numberOfCopies",
    "startDate",
    "startDateOption",
    "isPermanent",
    "term",
    "expirationDate",
    "lineItemType",
}
MAINTENANCE_FIELDS = {
    "activationId",
    "maintenanceProduct",
    "partNumber",
    "orderId",
    "orderLineNumber",
    "startDate",
    "expirationDate",
    "isPermanent",
    "parentLineItem",
    "associatedLineItems",
}
UPDATE_LINE_FIELDS = (LINE_FIELDS - {"lineItemType"}) | {"lineItemIdentifier", "parentLineItem"}
UPDATE_MAINTENANCE_FIELDS = (MAINTENANCE_FIELDS - {"associatedLineItems"}) | {"lineItemIdentifier"}
BULK_FIELDS = {
    "entitlementId",
    "soldTo",
    "product",
    "partNumber",
    "shipToEmail",
    "shipToAddress",
    "orderId",
    "orderLineNumber",
    "startDateOption",
    "isPermanent",
    "term",
    "expirationDate",
    "description",
    "numberOfCopies",
    "bulkEntitlementType",
    "autoDeploy",
    "allowPortalLogin",
}


def _deploy_state(item):
    """DEPLOYED when the record asks for ``autoDeploy``; absent, FlexNet's guide does not say:
    the simulator leaves the new entitlement or item in DRAFT."""
    return "DEPLOYED" if as_bool(item.text("autoDeploy")) else "DRAFT"


# --- values of one record ------------------------------------------------------------------


def _add_term(start, item):
    count = item.integer("term/numDuration")
    unit = item.text("term/durationUnit")
    if count is None or unit not in ("DAYS", "WEEKS", "MONTHS", "YEARS"):
        raise Refused("term needs numDuration and a durationUnit of DAYS, WEEKS, MONTHS or YEARS")
    day_ = date.fromisoformat(start)
    if unit in ("DAYS", "WEEKS"):
        return (day_ + timedelta(days=count * (7 if unit == "WEEKS" else 1))).isoformat()
    months = day_.month - 1 + count * (12 if unit == "YEARS" else 1)
    year, month = day_.year + months // 12, months % 12 + 1
    return date(year, month, min(day_.day, calendar.monthrange(year, month)[1])).isoformat()


def _dates(item, what, current=None):
    """(start, expiration or None, permanent 0/1) of a record; ``current`` holds the stored
    values an update leaves as they are."""
    option = item.text("startDateOption")
    if option not in (None, "DEFINE_NOW"):
        raise Refused(f"{what}: the simulator implements startDateOption DEFINE_NOW only, not {option}")
    start = item.day("startDate") or (current["start_date"] if current else None) or date.today().isoformat()
    end = item.day("expirationDate")
    permanent_text = item.text("isPermanent")
    if permanent_text is not None:
        permanent = as_bool(permanent_text)
    elif end or item.one("term") is not None:
        permanent = False
    else:
        permanent = bool(current["is_permanent"]) if current else False
    if item.one("term") is not None and not end:
        end = _add_term(start, item)
    if current and not end and not permanent:
        end = current["expiration_date"]
    if not permanent and not end:
        raise Refused(f"{what}: expirationDate (or a term) is required unless isPermanent is true")
    if end and not permanent and end < start:
        raise Refused(f"{what}: expirationDate {end} is before startDate {start}")
    return start, (None if permanent else end), int(permanent)


def _part(db, item, what, product_tag="product", required=True):
    """The part number a record names, by partNumber or by product (its part number)."""
    part = item.text("partNumber/primaryKeys/partId") or item.text("partNumber/uniqueId")
    if part:
        row = db.execute(
            "SELECT part_id FROM part_numbers WHERE part_id = ? OR unique_id = ?", (part, part)
        ).fetchone()
        if row is None:
            raise Refused(f"{what}: part number {part} does not exist")
        return row["part_id"]
    product = item.one(product_tag)
    if product is not None:
        name, version = product.text("primaryKeys/name"), product.text("primaryKeys/version")
        unique = product.text("uniqueId")
        row = db.execute(
            "SELECT pn.part_id FROM products p JOIN part_numbers pn ON pn.product_id = p.id "
            "WHERE (p.name = ? AND p.version = ?) OR p.unique_id = ? ORDER BY pn.part_id",
            (name, version, unique),
        ).fetchone()
        if row is None:
            raise Refused(f"{what}: product {name or unique} {version or ''} does not exist".rstrip())
        return row["part_id"]
    if required:
        raise Refused(f"{what}: a partNumber or a product is required")
    return None


def _activation(ctx, item, prefix, what):
    act = item.text("activationId/id")
    if act is None:
        if not as_bool(item.text("activationId/autoGenerate")):
            raise Refused(f"{what}: activationId needs an id or autoGenerate")
        return f"{prefix}-{ctx.store.next_number('activation'):06d}"
    return check_id(act, f"{what}: activation ID")


def _activation_owner(db, act):
    """(table, row) holding activation ID ``act``, or (None, None)."""
    for table in ("line_items", "maintenance_items"):
        row = db.execute(f"SELECT * FROM {table} WHERE activation_id = ?", (act,)).fetchone()
        if row is not None:
            return table, row
    return None, None


def _line_values(db, line, what, current=None):
    part = _part(db, line, what, required=current is None) or current["part_id"]
    copies = line.integer("numberOfCopies")
    if copies is None and current is not None:
        copies = current["number_of_copies"]
    if copies is None or copies < 1:
        raise Refused(f"{what}: numberOfCopies must be at least 1")
    if current is not None and copies < current["fulfilled"]:
        raise Refused(
            f"{what}: numberOfCopies {copies} is below the {current['fulfilled']} already fulfilled"
        )
    start, end, permanent = _dates(line, what, current)
    keep = (
        (lambda name, column: line.text(name) if line.text(name) is not None else current[column])
        if current
        else (lambda name, column: line.text(name))
    )
    return {
        "part_id": part,
        "number_of_copies": copies,
        "order_id": keep("orderId", "order_id"),
        "order_line_number": keep("orderLineNumber", "order_line_number"),
        "start_date": start,
        "expiration_date": end,
        "is_permanent": permanent,
        "description": keep("description", "description"),
    }


def _write_line(ctx, line, ent, state, op, stamp):
    """Create (or, with CREATE_OR_UPDATE, replace) one line item of entitlement ``ent``.
    Returns (activation ID, unique ID)."""
    db = ctx.store.db
    what = "line item"
    refuse_unmodelled(line, LINE_FIELDS, what)
    act = _activation(ctx, line, ent["entitlement_id"], what)
    what = f"line item {act}"
    table, owner = _activation_owner(db, act)
    if owner is not None:
        if table != "line_items" or owner["entitlement"] != ent["id"]:
            raise Refused(f"{what}: activation ID {act} is used by another entitlement or item")
        if op is None:
            raise Refused(f"{what}: activation ID {act} already exists")
        if op == "CREATE_OR_IGNORE":
            return act, owner["unique_id"]
    values = _line_values(db, line, what)
    values["support_action"] = line.text("lineItemType")
    if owner is not None:
        columns = ", ".join(f"{k} = ?" for k in values)
        db.execute(
            f"UPDATE line_items SET {columns}, state = ?, modified = ? WHERE id = ?",
            (*values.values(), state if state == "DEPLOYED" else owner["state"], stamp, owner["id"]),
        )
        return act, owner["unique_id"]
    unique = new_unique_id()
    columns = ", ".join(values)
    db.execute(
        f"INSERT INTO line_items({columns}, activation_id, unique_id, entitlement, state, created, modified) "
        f"VALUES ({','.join('?' * (len(values) + 6))})",
        (*values.values(), act, unique, ent["id"], state, stamp, stamp),
    )
    return act, unique


def _line_of(db, ident_req, what):
    act = identified(ident_req)
    row = db.execute(
        "SELECT * FROM line_items WHERE activation_id = ? OR unique_id = ?", (act, act)
    ).fetchone()
    if row is None:
        raise Refused(f"{what}: line item {act} does not exist")
    return row


def _link(db, maintenance_id, parent, activation_id, stamp):
    if activation_id != parent:
        db.execute(
            "INSERT OR IGNORE INTO maintenance_links(maintenance, activation_id) VALUES (?, ?)",
            (maintenance_id, activation_id),
        )
    # the line shows its maintenance: its modification time moves too
    db.execute("UPDATE line_items SET modified = ? WHERE activation_id = ?", (stamp, activation_id))


def _write_maintenance(ctx, maint, ent, state, op, stamp):
    db = ctx.store.db
    what = "maintenance line item"
    refuse_unmodelled(maint, MAINTENANCE_FIELDS, what)
    act = _activation(ctx, maint, ent["entitlement_id"], what)
    what = f"maintenance line item {act}"
    part = _part(db, maint, what, product_tag="maintenanceProduct")
    parent = identified(maint.one("parentLineItem"))
    if not parent:
        raise Refused(f"{what}: parentLineItem is required")
    parent = _line_of(db, maint.one("parentLineItem"), what)["activation_id"]
    associated = [_line_of(db, a, what)["activation_id"] for a in maint.all("associatedLineItems")]
    table, owner = _activation_owner(db, act)
    if owner is not None:
        if table != "maintenance_items" or owner["entitlement"] != ent["id"]:
            raise Refused(f"{what}: activation ID {act} is used by another entitlement or item")
        if op is None:
            raise Refused(f"{what}: activation ID {act} already exists")
        if op == "CREATE_OR_IGNORE":
            return act, owner["unique_id"]
    start, end, permanent = _dates(maint, what)
    values = (part, parent, maint.text("orderId"), maint.text("orderLineNumber"), start, end, permanent)
    if owner is not None:
        db.execute(
            "UPDATE maintenance_items SET part_id=?, parent_activation_id=?, order_id=?, order_line_number=?, "
            "start_date=?, expiration_date=?, is_permanent=?, state = ?, modified=? WHERE id=?",
            (*values, state if state == "DEPLOYED" else owner["state"], stamp, owner["id"]),
        )
        maintenance_id, unique = owner["id"], owner["unique_id"]
    else:
        unique = new_unique_id()
        maintenance_id = db.execute(
            "INSERT INTO maintenance_items(part_id, parent_activation_id, order_id, order_line_number, start_date, "
            "expiration_date, is_permanent, activation_id, unique_id, entitlement, state, created, modified) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (*values, act, unique, ent["id"], state, stamp, stamp),
        ).lastrowid
    for line in [parent, *associated]:
        _link(db, maintenance_id, parent, line, stamp)
    return act, unique


def _items_of(db, ent_pk):
    lines = [
        tuple(r)
        for r in db.execute(
            "SELECT activation_id, unique_id FROM line_items WHERE entitlement = ? ORDER BY id", (ent_pk,)
        )
    ]
    maints = [
        tuple(r)
        for r in db.execute(
            "SELECT activation_id, unique_id FROM maintenance_items WHERE entitlement = ? ORDER BY id",
            (ent_pk,),
        )
    ]
    return lines, maints


def _new_entitlement_id(ctx, item, what):
    ent_id = item.text("entitlementId/id")
    if ent_id is None:
        if not as_bool(item.text("entitlementId/autoGenerate")):
            raise Refused(f"{what}: entitlementId needs an id or autoGenerate")
        return f"ENT-{ctx.store.next_number('entitlement'):07d}"
    return check_id(ent_id, f"{what}: entitlement ID")


def _sold_to(db, item):
    sold_to = item.text("soldTo")
    if (
        sold_to is not None
        and not db.execute("SELECT 1 FROM accounts WHERE account_id = ?", (sold_to,)).fetchone()
    ):
        raise Refused(f"soldTo account {sold_to} does not exist")
    return sold_to


# --- createSimpleEntitlement ---------------------------------------------------------------


def _create_simple(ctx, item, op):
    db = ctx.store.db
    ent_id = _new_entitlement_id(ctx, item, "entitlement")
    what = f"entitlement {ent_id}"
    refuse_unmodelled(item, SIMPLE_FIELDS, what)
    sold_to = _sold_to(db, item)
    stamp = ctx.store.stamp()
    state = _deploy_state(item)
    ent = db.execute("SELECT * FROM entitlements WHERE entitlement_id = ?", (ent_id,)).fetchone()
    if ent is not None:
        if ent["kind"] != "SIMPLE":
            raise Refused(f"entitlement ID {ent_id} is used by a bulk entitlement")
        if op is None:
            raise Refused(f"entitlement ID {ent_id} already exists")
        if sold_to is not None and ent["sold_to"] != sold_to:
            raise Refused(f"entitlement {ent_id} belongs to another account")
        if ent["state"] == "OBSOLETE":
            raise Refused(f"entitlement {ent_id} is obsolete and cannot be changed")
    if ent is not None and op == "CREATE_OR_IGNORE":
        # the entitlement is left as it is; each of its items is created unless it exists
        # (FlexNet's CREATE_OR_IGNORE), and the answer names every item of the request
        before = _items_of(db, ent["id"])
        lines = [_write_line(ctx, line, ent, state, op, stamp) for line in item.all("lineItems")]
        maints = [_write_maintenance(ctx, m, ent, state, op, stamp) for m in item.all("maintenanceLineItems")]
        if _items_of(db, ent["id"]) != before:
            db.execute("UPDATE entitlements SET modified = ? WHERE id = ?", (stamp, ent["id"]))
        return ent, lines, maints
    if ent is not None:
        db.execute(
            "UPDATE entitlements SET description = COALESCE(?, description), "
            "ship_to_email = COALESCE(?, ship_to_email), ship_to_address = COALESCE(?, ship_to_address), "
            "state = CASE WHEN ? = 'DEPLOYED' THEN 'DEPLOYED' ELSE state END, modified = ? WHERE id = ?",
            (
                item.text("description"),
                item.text("shipToEmail"),
                item.text("shipToAddress"),
                state,
                stamp,
                ent["id"],
            ),
        )
    else:
        portal = item.text("allowPortalLogin")
        db.execute(
            "INSERT INTO entitlements(entitlement_id, unique_id, sold_to, description, ship_to_email, ship_to_address, "
            "email_template_variation, allow_portal_login, created_by, state, created, modified) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                ent_id,
                new_unique_id(),
                sold_to,
                item.text("description"),
                item.text("shipToEmail"),
                item.text("shipToAddress"),
                item.text("emailTemplateVariation"),
                None if portal is None else int(as_bool(portal)),
                ctx.user,
                state,
                stamp,
                stamp,
            ),
        )
    ent = db.execute("SELECT * FROM entitlements WHERE entitlement_id = ?", (ent_id,)).fetchone()
    lines = [_write_line(ctx, line, ent, state, op, stamp) for line in item.all("lineItems")]
    maints = [_write_maintenance(ctx, m, ent, state, op, stamp) for m in item.all("maintenanceLineItems")]
    return ent, lines, maints


def _per_record(ctx, items, wrapper, item_name, ns, write_one):
    """Run ``write_one`` for each record in its own savepoint: a refused record leaves no trace
    and is echoed in ``failedData`` with its reason."""
    db = ctx.store.db
    done, failed = [], []
    for index, item in enumerate(items, start=1):
        if ctx.partial and index % 2 == 0:
            failed.append(failed_copy(item.el, ns, wrapper, item_name, "injected partial failure"))
            continue
        db.execute("SAVEPOINT record")
        try:
            result = write_one(item)
        except Refused as exc:
            db.execute("ROLLBACK TO record")
            db.execute("RELEASE record")
            failed.append(failed_copy(item.el, ns, wrapper, item_name, str(exc)))
            continue
        db.execute("RELEASE record")
        done.append((index, result))
    return done, failed


def create_simple_entitlements(ctx, req):
    items = req.all("simpleEntitlement")
    if len(items) > WRITE_CAP:
        return too_many_writes(NS_V4, "createSimpleEntitlementResponse", len(items))
    op = op_type(req)
    done, failed = _per_record(
        ctx,
        items,
        "failedSimpleEntitlement",
        "simpleEntitlement",
        NS_V4,
        lambda item: _create_simple(ctx, item, op),
    )
    created = [
        (
            "createdSimpleEntitlement",
            [
                ("recordRefNo", str(index)),
                ("uniqueId", row["unique_id"]),
                ("entitlementId", row["entitlement_id"]),
                *[("lineItemUniqueIds", u) for _, u in lines],
                *[("maintenanceLineItemUniqueIds", u) for _, u in maints],
                *[("lineItemIdentifiers", ident(u, "activationId", a)) for a, u in lines],
                *[("maintenanceLineItemIdentifiers", ident(u, "activationId", a)) for a, u in maints],
            ],
        )
        for index, (row, lines, maints) in done
    ]
    state, reason = write_status(ctx, created, failed)
    return render(
        NS_V4,
        "createSimpleEntitlementResponse",
        [status(state, reason), ("failedData", failed or None), ("responseData", created or None)],
    )


# --- createBulkEntitlement -----------------------------------------------------------------


def _create_bulk(ctx, item):
    db = ctx.store.db
    ent_id = _new_entitlement_id(ctx, item, "bulk entitlement")
    what = f"bulk entitlement {ent_id}"
    refuse_unmodelled(item, BULK_FIELDS, what)
    if db.execute("SELECT 1 FROM entitlements WHERE entitlement_id = ?", (ent_id,)).fetchone():
        raise Refused(f"entitlement ID {ent_id} already exists")
    sold_to = _sold_to(db, item)
    part = _part(db, item, what)
    copies = item.integer("numberOfCopies")
    if copies is None or copies < 1:
        raise Refused(f"{what}: numberOfCopies must be at least 1")
    start, end, permanent = _dates(item, what)
    stamp = ctx.store.stamp()
    portal = item.text("allowPortalLogin")
    unique = new_unique_id()
    db.execute(
        "INSERT INTO entitlements(entitlement_id, unique_id, sold_to, description, ship_to_email, ship_to_address, "
        "allow_portal_login, created_by, state, created, modified, kind, part_id, number_of_copies, order_id, "
        "order_line_number, start_date, expiration_date, is_permanent, bulk_type) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,'BULK',?,?,?,?,?,?,?,?)",
        (
            ent_id,
            unique,
            sold_to,
            item.text("description"),
            item.text("shipToEmail"),
            item.text("shipToAddress"),
            None if portal is None else int(as_bool(portal)),
            ctx.user,
            _deploy_state(item),
            stamp,
            stamp,
            part,
            copies,
            item.text("orderId"),
            item.text("orderLineNumber"),
            start,
            end,
            permanent,
            item.text("bulkEntitlementType"),
        ),
    )
    return ent_id, unique


def create_bulk_entitlements(ctx, req):
    items = req.all("bulkEntitlement")
    if len(items) > WRITE_CAP:
        return too_many_writes(NS_V4, "createBulkEntitlementResponse", len(items))
    done, failed = _per_record(
        ctx, items, "failedBulkEntitlement", "bulkEntitlement", NS_V4, lambda item: _create_bulk(ctx, item)
    )
    created = [
        (
            "createdBulkEntitlement",
            [("recordRefNo", str(index)), ("uniqueId", unique), ("bulkEntitlementId", ent_id)],
        )
        for index, (ent_id, unique) in done
    ]
    state, reason = write_status(ctx, created, failed)
    return render(
        NS_V4,
        "createBulkEntitlementResponse",
        [status(state, reason), ("failedData", failed or None), ("responseData", created or None)],
    )


# --- createEntitlementLineItem -------------------------------------------------------------


def _open_entitlement(db, item, what="entitlement"):
    ident_req = item.one("entitlementIdentifier")
    ent = entitlement_row(db, ident_req)
    name = identified(ident_req, "entitlementId")
    if ent is None:
        raise Refused(f"{what} {name} does not exist")
    if ent["kind"] != "SIMPLE":
        raise Refused(f"{ent['entitlement_id']} is a bulk entitlement: it has no line items")
    if ent["state"] == "OBSOLETE":
        raise Refused(f"entitlement {ent['entitlement_id']} is obsolete and cannot be changed")
    return ent


def _add_items(ctx, item, op):
    db = ctx.store.db
    ent = _open_entitlement(db, item)
    stamp = ctx.store.stamp()
    state = _deploy_state(item)
    lines = [_write_line(ctx, line, ent, state, op, stamp) for line in item.all("lineItems")]
    maints = [_write_maintenance(ctx, m, ent, state, op, stamp) for m in item.all("maintenanceLineItems")]
    db.execute("UPDATE entitlements SET modified = ? WHERE id = ?", (stamp, ent["id"]))
    return ent, lines, maints


def create_line_items(ctx, req):
    items = req.all("lineItem")
    if len(items) > WRITE_CAP:
        return too_many_writes(NS_V4, "createEntitlementLineItemResponse", len(items))
    op = op_type(req)
    done, failed = _per_record(
        ctx, items, "failedLineItemData", "lineItem", NS_V4, lambda item: _add_items(ctx, item, op)
    )
    added = [
        (
            "addedLineItems",
            [
                ("entitlementIdentifier", ident(ent["unique_id"], "entitlementId", ent["entitlement_id"])),
                *[("lineItemUniqueIds", u) for _, u in lines],
                *[("maintenanceLineItemUniqueIds", u) for _, u in maints],
                *[("lineItemIdentifiers", ident(u, "activationId", a)) for a, u in lines],
                *[("maintenanceLineItemIdentifiers", ident(u, "activationId", a)) for a, u in maints],
            ],
        )
        for _index, (ent, lines, maints) in done
    ]
    state, reason = write_status(ctx, added, failed)
    return render(
        NS_V4,
        "createEntitlementLineItemResponse",
        [status(state, reason), ("failedData", failed or None), ("responseData", added or None)],
    )


# --- updateEntitlementLineItem -------------------------------------------------------------


def _rename(db, table, row, item, what):
    """Give an item the new activation ID of its ``activationId`` element, if any."""
    new = item.text("activationId/id")
    if new is None or new == row["activation_id"]:
        return row["activation_id"]
    check_id(new, f"{what}: activation ID")
    if _activation_owner(db, new)[1] is not None:
        raise Refused(f"{what}: activation ID {new} already exists")
    old = row["activation_id"]
    db.execute(f"UPDATE {table} SET activation_id = ? WHERE id = ?", (new, row["id"]))
    if table == "line_items":
        db.execute(
            "UPDATE maintenance_items SET parent_activation_id = ? WHERE parent_activation_id = ?", (new, old)
        )
        db.execute("UPDATE maintenance_links SET activation_id = ? WHERE activation_id = ?", (new, old))
        db.execute(
            "UPDATE line_items SET parent_activation_id = ? WHERE parent_activation_id = ?", (new, old)
        )
    return new


def _update_items(ctx, item):
    db = ctx.store.db
    ent = _open_entitlement(db, item)
    stamp = ctx.store.stamp()
    deploy = as_bool(item.text("autoDeploy"))
    for data in item.all("lineItemData"):
        what = f"line item {identified(data.one('lineItemIdentifier'))}"
        refuse_unmodelled(data, UPDATE_LINE_FIELDS, what)
        row = _line_of(db, data.one("lineItemIdentifier"), what)
        if row["entitlement"] != ent["id"]:
            raise Refused(f"{what} does not belong to entitlement {ent['entitlement_id']}")
        if row["state"] not in EDITABLE_STATES:
            raise Refused(f"{what} is {row['state']} and cannot be edited")
        values = _line_values(db, data, what, current=row)
        parent = data.one("parentLineItem")
        values["parent_activation_id"] = (
            _line_of(db, parent, what)["activation_id"] if parent is not None else row["parent_activation_id"]
        )
        values["state"] = "DEPLOYED" if deploy else row["state"]
        _rename(db, "line_items", row, data, what)
        columns = ", ".join(f"{k} = ?" for k in values)
        db.execute(
            f"UPDATE line_items SET {columns}, modified = ? WHERE id = ?",
            (*values.values(), stamp, row["id"]),
        )
    for data in item.all("maintenanceLineItemData"):
        act = identified(data.one("lineItemIdentifier"))
        what = f"maintenance line item {act}"
        refuse_unmodelled(data, UPDATE_MAINTENANCE_FIELDS, what)
        row = db.execute(
            "SELECT * FROM maintenance_items WHERE activation_id = ? OR unique_id = ?", (act, act)
        ).fetchone()
        if row is None or row["entitlement"] != ent["id"]:
            raise Refused(f"{what} does not exist on entitlement {ent['entitlement_id']}")
        if row["state"] not in EDITABLE_STATES:
            raise Refused(f"{what} is {row['state']} and cannot be edited")
        part = _part(db, data, what, product_tag="maintenanceProduct", required=False) or row["part_id"]
        start, end, permanent = _dates(data, what, current=row)
        parent = data.one("parentLineItem")
        parent_act = (
            _line_of(db, parent, what)["activation_id"] if parent is not None else row["parent_activation_id"]
        )
        _rename(db, "maintenance_items", row, data, what)
        db.execute(
            "UPDATE maintenance_items SET part_id = ?, parent_activation_id = ?, order_id = COALESCE(?, order_id), "
            "order_line_number = COALESCE(?, order_line_number), start_date = ?, expiration_date = ?, "
            "is_permanent = ?, state = ?, modified = ? WHERE id = ?",
            (
                part,
                parent_act,
                data.text("orderId"),
                data.text("orderLineNumber"),
                start,
                end,
                permanent,
                "DEPLOYED" if deploy else row["state"],
                stamp,
                row["id"],
            ),
        )
        db.execute("UPDATE line_items SET modified = ? WHERE activation_id = ?", (stamp, parent_act))
    db.execute("UPDATE entitlements SET modified = ? WHERE id = ?", (stamp, ent["id"]))
    return ent


def update_line_items(ctx, req):
    items = req.all("lineItemData")
    if len(items) > WRITE_CAP:
        return too_many_writes(NS_V4, "updateEntitlementLineItemResponse", len(items))
    done, failed = _per_record(
        ctx, items, "failedData", "failedData", NS_V4, lambda item: _update_items(ctx, item)
    )
    state, reason = write_status(ctx, done, failed)
    return render(
        NS_V4, "updateEntitlementLineItemResponse", [status(state, reason), ("failedData", failed or None)]
    )


# --- linkMaintenanceLineItem ---------------------------------------------------------------


def _link_one(ctx, item):
    db = ctx.store.db
    line = _line_of(db, item.one("lineItemIdentifier"), "link")
    act = identified(item.one("maintenanceLineItemIdentifier"))
    maint = db.execute(
        "SELECT * FROM maintenance_items WHERE activation_id = ? OR unique_id = ?", (act, act)
    ).fetchone()
    if maint is None:
        raise Refused(f"maintenance line item {act} does not exist")
    for name, row in (("line item", line), ("maintenance line item", maint)):
        if row["state"] == "OBSOLETE":
            raise Refused(f"{name} {row['activation_id']} is obsolete")
    stamp = ctx.store.stamp()
    # linking twice is no error: the link exists
    _link(db, maint["id"], maint["parent_activation_id"], line["activation_id"], stamp)
    db.execute("UPDATE maintenance_items SET modified = ? WHERE id = ?", (stamp, maint["id"]))
    return line["activation_id"], maint["activation_id"]


def link_maintenance(ctx, req):
    items = req.all("linkMaintenanceLineItemList/linkMaintenanceLineItem")
    if len(items) > WRITE_CAP:
        return too_many_writes(NS_V4, "linkMaintenanceLineItemResponse", len(items))
    done, failed = _per_record(
        ctx,
        items,
        "failedLinkMaintenanceLineItem",
        "linkMaintenanceLineItem",
        NS_V4,
        lambda item: _link_one(ctx, item),
    )
    state, reason = write_status(ctx, done, failed)
    return render(
        NS_V4, "linkMaintenanceLineItemResponse", [status(state, reason), ("failedData", failed or None)]
    )


# --- setEntitlementState -------------------------------------------------------------------


def _set_state(ctx, item):
    db = ctx.store.db
    ident_req = item.one("entitlementIdentifier")
    ent = entitlement_row(db, ident_req)
    if ent is None:
        raise Refused(f"entitlement {identified(ident_req, 'entitlementId')} does not exist")
    wanted = item.text("stateToSet")
    if wanted not in SETTABLE_STATES:
        raise Refused(f"state {wanted} cannot be set on an entitlement: one of {', '.join(SETTABLE_STATES)}")
    if ent["state"] == wanted:
        return ent["entitlement_id"]
    if ent["state"] == "OBSOLETE":
        raise Refused(f"entitlement {ent['entitlement_id']} is obsolete: its state cannot change")
    stamp = ctx.store.stamp()
    db.execute("UPDATE entitlements SET state = ?, modified = ? WHERE id = ?", (wanted, stamp, ent["id"]))
    # the entitlement's items follow it; an obsolete item stays obsolete
    for table in ("line_items", "maintenance_items"):
        db.execute(
            f"UPDATE {table} SET state = ?, modified = ? WHERE entitlement = ? AND state <> 'OBSOLETE'",
            (wanted, stamp, ent["id"]),
        )
    return ent["entitlement_id"]


def set_entitlement_state(ctx, req):
    items = req.all("entitlement")
    if len(items) > WRITE_CAP:
        return too_many_writes(NS_V4, "setEntitlementStateResponse", len(items))
    done, failed = _per_record(
        ctx, items, "failedEntitlement", "entitlement", NS_V4, lambda item: _set_state(ctx, item)
    )
    state, reason = write_status(ctx, done, failed)
    return render(
        NS_V4, "setEntitlementStateResponse", [status(state, reason), ("failedData", failed or None)]
    )
