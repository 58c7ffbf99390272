"""The simulated operations, one function each, grouped by service."""

import copy
import json
import re
import secrets
from datetime import date, datetime, timedelta, timezone

from .store import new_unique_id, now_stamp
from .wire import BadRequest, Req, render, status

NS_V4 = "urn:v4.webservices.operations.flexnet.com"
NS_V3 = "urn:v3.webservices.operations.flexnet.com"
NS_V2 = "urn:v2.webservices.operations.flexnet.com"
NS_V1 = "urn:v1.webservices.operations.flexnet.com"
NS_AUTH = "urn:v1.webservices.platform.flexnet.com"

READ_CAP = 2000
WRITE_CAP = 25
TOKEN_SECONDS = 300


class Context:
    """What a handler may know about the call besides its payload."""

    def __init__(self, store, user, partial=False):
        self.store = store
        self.user = user
        self.partial = partial  # fault injection: answer PARTIAL_FAILURE


# --- query helpers -------------------------------------------------------------------------

_LIKE = {"STARTS_WITH": "{}%", "CONTAINS": "%{}%", "ENDS_WITH": "%{}"}


def _escape_like(value):
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_criterion(req, name, column, where, params):
    crit = req.one(name)
    if crit is None:
        return
    value = crit.text("value")
    kind = crit.text("searchType", "EQUALS")
    if value is None:
        raise BadRequest(f"{name}/value is missing")
    if kind == "EQUALS":
        where.append(f"{column} = ?")
        params.append(value)
    elif kind in _LIKE:
        where.append(f"{column} LIKE ? ESCAPE '\\'")
        params.append(_LIKE[kind].format(_escape_like(value)))
    else:
        raise BadRequest(f"{name}/searchType {kind!r} is not a simpleSearchType")


def _stamp_of(value):
    text = value.strip()
    # datetime.fromisoformat before Python 3.11 takes neither "Z" nor 1, 2, 4 or 5 decimals
    text = re.sub(r"Z$", "+00:00", text)
    text = re.sub(r"\.(\d+)", lambda m: "." + m[1][:6].ljust(6, "0"), text, count=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"not a dateTime: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return now_stamp(moment)


def time_criterion(req, name, column, where, params, day_only=False):
    crit = req.one(name)
    if crit is None:
        return
    value = crit.text("value")
    kind = crit.text("searchType")
    if value is None or kind not in ("BEFORE", "AFTER", "ON"):
        raise BadRequest(f"{name} needs a value and a searchType of BEFORE, AFTER or ON")
    if day_only:
        day = crit.day("value")
        ops = {
            "BEFORE": "substr({c}, 1, 10) < ?",
            "AFTER": "substr({c}, 1, 10) > ?",
            "ON": "substr({c}, 1, 10) = ?",
        }
        where.append(ops[kind].format(c=column))
        params.append(day)
        return
    stamp = _stamp_of(value)
    ops = {"BEFORE": "{c} < ?", "AFTER": "{c} > ?", "ON": "substr({c}, 1, 10) = substr(?, 1, 10)"}
    where.append(ops[kind].format(c=column))
    params.append(stamp)


def paging(req, required_page=True):
    size = req.integer("batchSize")
    page = req.integer("pageNumber", None if required_page else 1)
    if size is None or page is None:
        raise BadRequest("batchSize and pageNumber are required")
    if page < 1 or size < 1:
        raise BadRequest("pageNumber and batchSize start at 1")
    return page, size


def _too_many(ns, response, size, what="records"):
    return render(
        ns, response, [status("FAILURE", f"batchSize {size} exceeds the maximum of {READ_CAP} {what}")]
    )


def _where(where):
    return (" WHERE " + " AND ".join(where)) if where else ""


def _ident(unique_id, key, value):
    return [("uniqueId", unique_id), ("primaryKeys", [(key, value)])]


def _pk(key, value):
    return [("primaryKeys", [(key, value)])]


def _attributes(values):
    return [("attribute", [("attributeName", k), ("stringValue", v)]) for k, v in values if v is not None]


# --- ProductPackagingService v2 ----------------------------------------------------------


def get_products(ctx, req):
    page, size = paging(req)
    if size > READ_CAP:
        return _too_many(NS_V2, "getProductsQueryResponse", size)
    params_req = req.one("queryParams") or Req(req.el.makeelement("x"), NS_V2)
    where, params = [], []
    text_criterion(params_req, "productName", "p.name", where, params)
    text_criterion(params_req, "version", "p.version", where, params)
    text_criterion(params_req, "description", "p.description", where, params)
    if params_req.one("partNumber") is not None:
        sub_where, sub_params = [], []
        text_criterion(params_req, "partNumber", "part_id", sub_where, sub_params)
        where.append(f"p.id IN (SELECT product_id FROM part_numbers WHERE {sub_where[0]})")
        params.extend(sub_params)
    time_criterion(params_req, "lastModifiedDate", "p.modified", where, params, day_only=True)
    db = ctx.store.db
    rows = db.execute(
        f"SELECT * FROM products p{_where(where)} ORDER BY p.id LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    parts = {}
    if rows:
        marks = ",".join("?" * len(rows))
        for part in db.execute(
            f"SELECT * FROM part_numbers WHERE product_id IN ({marks}) ORDER BY part_id",
            [r["id"] for r in rows],
        ):
            parts.setdefault(part["product_id"], []).append(part)
    products = []
    for row in rows:
        part_pairs = []
        for part in parts.get(row["id"], []):
            part_pairs.append(
                (
                    "partNumber",
                    [
                        ("uniqueId", part["unique_id"]),
                        ("primaryKeys", [("partId", part["part_id"])]),
                        (
                            "licenseModel",
                            _pk("name", part["license_model"]) if part["license_model"] else None,
                        ),
                    ],
                )
            )
        products.append(
            (
                "product",
                [
                    ("uniqueId", row["unique_id"]),
                    ("productName", row["name"]),
                    ("version", row["version"]),
                    ("description", row["description"]),
                    ("state", row["state"]),
                    ("partNumbers", part_pairs or None),
                    ("productCategory", row["category"]),
                    (
                        "customAttributes",
                        _attributes([("ProductKind", row["kind"]), ("BaseProduct", row["carries"])]),
                    ),
                    ("creationDate", row["created"]),
                    ("lastModifiedDate", row["modified"]),
                ],
            )
        )
    state = "PARTIAL_FAILURE" if ctx.partial else "SUCCESS"
    reason = "some products could not be read" if ctx.partial else None
    return render(
        NS_V2,
        "getProductsQueryResponse",
        [
            status(state, reason),
            ("responseData", products if not ctx.partial else products[: len(products) // 2]),
        ],
    )


# --- accounts and users: UserAcctHierarchyService v3 and UserOrgHierarchyService v1 -------


def _address(row):
    pairs = [(k, row[k]) for k in ("address1", "address2", "city", "state", "zipcode", "country", "region")]
    return pairs if any(v for _, v in pairs) else None


def get_accounts(ctx, req, v1=False):
    ns = NS_V1 if v1 else NS_V3
    response = "getOrganizationsQueryResponse" if v1 else "getAccountsQueryResponse"
    page, size = paging(req)
    if size > READ_CAP:
        return _too_many(ns, response, size)
    q = req.one("queryParams") or Req(req.el.makeelement("x"), ns)
    where, params = [], []
    text_criterion(q, "orgName" if v1 else "accountID", "account_id", where, params)
    text_criterion(q, "orgDisplayName" if v1 else "accountName", "name", where, params)
    text_criterion(q, "city", "city", where, params)
    text_criterion(q, "country", "country", where, params)
    kind = q.text("orgType" if v1 else "accountType")
    if kind:
        where.append("account_type = ?")
        params.append(kind)
    time_criterion(q, "lastModifiedDateTime", "modified", where, params)
    rows = ctx.store.db.execute(
        f"SELECT * FROM accounts{_where(where)} ORDER BY modified, account_id LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    records = []
    for row in rows:
        if v1:
            records.append(
                (
                    "orgData",
                    [
                        ("organization", _ident(row["unique_id"], "name", row["account_id"])),
                        ("displayName", row["name"]),
                        ("description", row["description"]),
                        ("address", _address(row)),
                        ("visible", bool(row["visible"])),
                        ("orgType", row["account_type"]),
                        ("dateLastModified", row["modified"]),
                    ],
                )
            )
        else:
            records.append(
                (
                    "acctData",
                    [
                        ("account", _ident(row["unique_id"], "id", row["account_id"])),
                        ("name", row["name"]),
                        ("description", row["description"]),
                        ("address", _address(row)),
                        ("visible", bool(row["visible"])),
                        ("accountType", row["account_type"]),
                        ("dateLastModified", row["modified"]),
                        ("createdDate", row["created"]),
                    ],
                )
            )
    if ctx.partial:
        records = records[: len(records) // 2]
    return render(
        ns,
        response,
        [
            status(
                "PARTIAL_FAILURE" if ctx.partial else "SUCCESS",
                "some accounts could not be read" if ctx.partial else None,
            ),
            ("responseData", records),
        ],
    )


def get_users(ctx, req, v1=False):
    ns = NS_V1 if v1 else NS_V3
    page, size = paging(req)
    if size > READ_CAP:
        return _too_many(ns, "getUsersQueryResponse", size)
    q = req.one("queryParams") or Req(req.el.makeelement("x"), ns)
    where, params = [], []
    text_criterion(q, "userName", "u.user_name", where, params)
    text_criterion(q, "firstName", "u.first_name", where, params)
    text_criterion(q, "lastName", "u.last_name", where, params)
    text_criterion(q, "emailAddress", "u.email", where, params)
    account_crit = "orgName" if v1 else "accountID"
    if q.one(account_crit) is not None:
        sub_where, sub_params = [], []
        text_criterion(q, account_crit, "account_id", sub_where, sub_params)
        where.append(f"u.id IN (SELECT user_id FROM user_accounts WHERE {sub_where[0]})")
        params.extend(sub_params)
    if q.text("isActive") is not None:
        where.append("u.status = ?")
        params.append("Active" if q.flag("isActive") else "Inactive")
    time_criterion(q, "lastModifiedDateTime", "u.modified", where, params)
    db = ctx.store.db
    rows = db.execute(
        f"SELECT * FROM users u{_where(where)} ORDER BY u.modified, u.id LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    memberships = {}
    if rows:
        marks = ",".join("?" * len(rows))
        for m in db.execute(
            f"SELECT * FROM user_accounts WHERE user_id IN ({marks}) ORDER BY account_id",
            [r["id"] for r in rows],
        ):
            memberships.setdefault(m["user_id"], []).append(m)
    users = []
    for row in rows:
        roles_list = []
        for m in memberships.get(row["id"], []):
            roles = [("roleName", r) for r in m["roles"].split(",") if r]
            if v1:
                roles_list.append(
                    ("orgRoles", [("organization", _pk("name", m["account_id"])), ("roles", roles or None)])
                )
            else:
                roles_list.append(
                    ("acctRoles", [("account", _pk("id", m["account_id"])), ("roles", roles or None)])
                )
        users.append(
            (
                "user",
                [
                    (
                        "userIdentifier",
                        [
                            ("uniqueId", row["unique_id"]),
                            ("userName", row["user_name"]),
                            (
                                "primaryKeys",
                                [
                                    ("firstName", row["first_name"]),
                                    ("lastName", row["last_name"]),
                                    ("emailAddress", row["email"]),
                                    ("phoneNumber", row["phone"]),
                                ],
                            ),
                        ],
                    ),
                    ("displayName", row["display_name"]),
                    ("country", row["country"]),
                    ("status", row["status"]),
                    ("locale", row["locale"]),
                    ("domain", row["domain"]),
                    ("dateCreated", row["created"]),
                    ("dateLastModified", row["modified"]),
                    ("dateLastLogin", row["last_login"]),
                    ("orgRolesList" if v1 else "accountRolesList", roles_list or None),
                ],
            )
        )
    if ctx.partial:
        users = users[: len(users) // 2]
    return render(
        ns,
        "getUsersQueryResponse",
        [
            status(
                "PARTIAL_FAILURE" if ctx.partial else "SUCCESS",
                "some users could not be read" if ctx.partial else None,
            ),
            ("responseData", users),
        ],
    )


def _too_many_writes(ns, response, count):
    return render(
        ns, response, [status("FAILURE", f"{count} records in one call; the maximum is {WRITE_CAP}")]
    )


def _op_type(req):
    op = req.text("opType")
    if op not in (None, "CREATE_OR_UPDATE", "CREATE_OR_IGNORE"):
        raise BadRequest(f"opType {op!r} is not a CreateOrUpdateOperationType")
    return op


def _failed_copy(element, ns, wrapper, item_name, reason):
    """FlexNet echoes each refused input record with its reason."""
    clone = copy.deepcopy(element)
    clone.tag = f"{{{ns}}}{item_name}"
    return (wrapper, [(item_name, clone), ("reason", reason)])


def _write_status(ctx, created, failed):
    if ctx.partial and created:
        return "PARTIAL_FAILURE", "some records were refused"
    if failed and created:
        return "PARTIAL_FAILURE", "some records were refused"
    if failed:
        return "FAILURE", failed[0][1][1][1] if failed else None
    return "SUCCESS", None


def create_accounts(ctx, req):
    items = req.all("account")
    if len(items) > WRITE_CAP:
        return _too_many_writes(NS_V3, "createAcctResponse", len(items))
    op = _op_type(req)
    db = ctx.store.db
    created, failed = [], []
    for index, item in enumerate(items):
        account_id = item.text("id")
        name = item.text("name")
        kind = item.text("accountType", "CUSTOMER")
        if ctx.partial and index % 2 == 1:
            failed.append(_failed_copy(item.el, NS_V3, "failedAcct", "account", "injected partial failure"))
            continue
        if not account_id or not name:
            failed.append(
                _failed_copy(item.el, NS_V3, "failedAcct", "account", "account id and name are required")
            )
            continue
        existing = db.execute("SELECT unique_id FROM accounts WHERE account_id = ?", (account_id,)).fetchone()
        stamp = ctx.store.stamp()
        addr = item.one("address")
        values = {
            k: (addr.text(k) if addr else None)
            for k in ("address1", "address2", "city", "state", "zipcode", "country", "region")
        }
        if existing:
            if op is None:
                failed.append(
                    _failed_copy(
                        item.el, NS_V3, "failedAcct", "account", f"account {account_id} already exists"
                    )
                )
                continue
            if op == "CREATE_OR_UPDATE":
                db.execute(
                    "UPDATE accounts SET name=?, description=?, account_type=?, address1=?, address2=?, city=?, "
                    "state=?, zipcode=?, country=?, region=?, modified=? WHERE account_id=?",
                    (name, item.text("description"), kind, *values.values(), stamp, account_id),
                )
            created.append(("account", _ident(existing["unique_id"], "id", account_id)))
            continue
        unique = new_unique_id()
        db.execute(
            "INSERT INTO accounts(account_id, unique_id, name, description, account_type, address1, address2, city, "
            "state, zipcode, country, region, visible, created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                account_id,
                unique,
                name,
                item.text("description"),
                kind,
                *values.values(),
                int(item.flag("visible", True)),
                stamp,
                stamp,
            ),
        )
        created.append(("account", _ident(unique, "id", account_id)))
    state, reason = _write_status(ctx, created, failed)
    return render(
        NS_V3,
        "createAcctResponse",
        [status(state, reason), ("failedData", failed or None), ("responseData", created or None)],
    )


def create_users(ctx, req):
    items = req.all("user")
    if len(items) > WRITE_CAP:
        return _too_many_writes(NS_V3, "createUserResponse", len(items))
    op = _op_type(req)
    db = ctx.store.db
    created, failed = [], []
    for index, item in enumerate(items):
        email = item.text("emailAddress")
        user_name = item.text("userName") or email
        if ctx.partial and index % 2 == 1:
            failed.append(_failed_copy(item.el, NS_V3, "failedUser", "user", "injected partial failure"))
            continue
        accounts = [
            (r.text("account/primaryKeys/id"), [x.text("primaryKeys/name") for x in r.all("roles/role")])
            for r in item.all("acctRolesList/acctRoles")
        ]
        missing = [
            a
            for a, _ in accounts
            if not db.execute("SELECT 1 FROM accounts WHERE account_id=?", (a,)).fetchone()
        ]
        if missing:
            failed.append(
                _failed_copy(item.el, NS_V3, "failedUser", "user", f"account {missing[0]} does not exist")
            )
            continue
        existing = db.execute("SELECT id, unique_id FROM users WHERE user_name = ?", (user_name,)).fetchone()
        stamp = ctx.store.stamp()
        if existing and op is None:
            failed.append(
                _failed_copy(item.el, NS_V3, "failedUser", "user", f"user {user_name} already exists")
            )
            continue
        if existing:
            user_pk, unique = existing["id"], existing["unique_id"]
            if op == "CREATE_OR_UPDATE":
                db.execute(
                    "UPDATE users SET first_name=?, last_name=?, email=?, modified=? WHERE id=?",
                    (item.text("firstName"), item.text("lastName"), email, stamp, user_pk),
                )
        else:
            unique = new_unique_id()
            user_pk = db.execute(
                "INSERT INTO users(unique_id, user_name, first_name, last_name, email, phone, display_name, status, "
                "can_login, locale, country, created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    unique,
                    user_name,
                    item.text("firstName"),
                    item.text("lastName"),
                    email,
                    item.text("phoneNumber"),
                    item.text("displayName") or f"{item.text('firstName')} {item.text('lastName')}",
                    item.text("status", "Active"),
                    int(item.flag("canLogin", True)),
                    item.text("locale"),
                    item.text("country"),
                    stamp,
                    stamp,
                ),
            ).lastrowid
        for account_id, roles in accounts:
            db.execute(
                "INSERT INTO user_accounts(user_id, account_id, roles) VALUES (?,?,?) "
                "ON CONFLICT(user_id, account_id) DO UPDATE SET roles = excluded.roles",
                (user_pk, account_id, ",".join(r for r in roles if r)),
            )
        created.append(
            (
                "user",
                [
                    ("uniqueId", unique),
                    ("userName", user_name),
                    (
                        "primaryKeys",
                        [
                            ("firstName", item.text("firstName")),
                            ("lastName", item.text("lastName")),
                            ("emailAddress", email),
                        ],
                    ),
                ],
            )
        )
    state, reason = _write_status(ctx, created, failed)
    return render(
        NS_V3,
        "createUserResponse",
        [status(state, reason), ("failedData", failed or None), ("responseData", created or None)],
    )


# --- EntitlementOrderService v4 -------------------------------------------------------------

LINE_SQL = """
SELECT l.*, e.entitlement_id AS ent_id, e.unique_id AS ent_unique, e.sold_to, e.state AS ent_state,
       e.description AS ent_description, e.ship_to_email, e.ship_to_address, e.allow_portal_login,
       a.name AS sold_to_name, a.unique_id AS account_unique, p.name AS product_name, p.version AS product_version,
       p.unique_id AS product_unique, pn.license_model, pn.description AS part_description, pn.unique_id AS part_unique
FROM line_items l
JOIN entitlements e ON e.id = l.entitlement
JOIN accounts a ON a.account_id = e.sold_to
JOIN part_numbers pn ON pn.part_id = l.part_id
JOIN products p ON p.id = pn.product_id
"""

MAINT_SQL = """
SELECT m.*, p.name AS product_name, p.version AS product_version, p.unique_id AS product_unique
FROM maintenance_items m
JOIN part_numbers pn ON pn.part_id = m.part_id
JOIN products p ON p.id = pn.product_id
"""


def _maintenance_for(db, activation_ids):
    found = {}
    for start in range(0, len(activation_ids), 900):
        chunk = activation_ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for row in db.execute(f"{MAINT_SQL} WHERE m.parent_activation_id IN ({marks}) ORDER BY m.id", chunk):
            found.setdefault(row["parent_activation_id"], []).append(row)
    return found


def _product_ident(unique, name, version):
    return [("uniqueId", unique), ("primaryKeys", [("name", name), ("version", version)])]


def get_line_items(ctx, req):
    page, size = paging(req, required_page=False)
    if size > READ_CAP:
        return _too_many(NS_V4, "searchEntitlementLineItemPropertiesResponse", size)
    q = req.one("queryParams")
    if q is None:
        raise BadRequest("queryParams is required")
    config = req.one("entitlementLineItemResponseConfig")
    if config is None:
        raise BadRequest("entitlementLineItemResponseConfig is required")
    wanted = {local_name(c.tag) for c in config.el if (c.text or "").strip() == "true"}
    where, params = [], []
    text_criterion(q, "entitlementId", "e.entitlement_id", where, params)
    text_criterion(q, "activationId", "l.activation_id", where, params)
    text_criterion(q, "partNumber", "l.part_id", where, params)
    text_criterion(q, "productName", "p.name", where, params)
    text_criterion(q, "orderId", "l.order_id", where, params)
    text_criterion(q, "orderLineNumber", "l.order_line_number", where, params)
    text_criterion(q, "soldTo", "e.sold_to", where, params)
    time_criterion(q, "lastModifiedDateTime", "l.modified", where, params)
    time_criterion(q, "createdOnDateTime", "l.created", where, params)
    time_criterion(q, "expirationDate", "l.expiration_date", where, params, day_only=True)
    db = ctx.store.db
    rows = db.execute(
        f"{LINE_SQL}{_where(where)} ORDER BY l.modified, l.id LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    maintenance = _maintenance_for(db, [r["activation_id"] for r in rows]) if "maintenance" in wanted else {}
    items = []
    for row in rows:
        fields = [
            ("activationId", _ident(row["unique_id"], "activationId", row["activation_id"])),
            ("description", row["description"]),
            ("state", row["state"]),
            ("activatableItemType", "LINEITEM"),
            ("orderId", row["order_id"]),
            ("orderLineNumber", row["order_line_number"]),
            ("entitlementId", _ident(row["ent_unique"], "entitlementId", row["ent_id"])),
            ("soldTo", _ident(row["account_unique"], "id", row["sold_to"])),
            ("soldToDisplayName", row["sold_to_name"]),
            ("entitlementState", row["ent_state"]),
            ("entitlementDescription", row["ent_description"]),
            (
                "allowPortalLogin",
                None if row["allow_portal_login"] is None else bool(row["allow_portal_login"]),
            ),
            ("shipToEmail", row["ship_to_email"]),
            ("shipToAddress", row["ship_to_address"]),
            ("product", _product_ident(row["product_unique"], row["product_name"], row["product_version"])),
            ("productDescription", row["product_name"]),
            ("partNumber", _ident(row["part_unique"], "partId", row["part_id"])),
            ("partNumberDescription", row["part_description"]),
            ("licenseModel", _pk("name", row["license_model"]) if row["license_model"] else None),
            ("lineItemSupportAction", row["support_action"]),
            (
                "parentLineItem",
                _pk("activationId", row["parent_activation_id"]) if row["parent_activation_id"] else None,
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
                        ("activationId", _ident(m["unique_id"], "activationId", m["activation_id"])),
                        (
                            "maintenanceProduct",
                            _product_ident(m["product_unique"], m["product_name"], m["product_version"]),
                        ),
                        (
                            "partNumber",
                            _pk("partId", m["part_id"]) if "maintenancePartNumber" in wanted else None,
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
    if ctx.partial:
        items = items[: len(items) // 2]
    return render(
        NS_V4,
        "searchEntitlementLineItemPropertiesResponse",
        [
            status(
                "PARTIAL_FAILURE" if ctx.partial else "SUCCESS",
                "some line items could not be read" if ctx.partial else None,
            ),
            *items,
        ],
    )


def local_name(tag):
    return tag.rpartition("}")[2]


def _entitlement_pairs(db, ent):
    lines = db.execute(f"{LINE_SQL} WHERE l.entitlement = ? ORDER BY l.id", (ent["id"],)).fetchall()
    maints = db.execute(f"{MAINT_SQL} WHERE m.entitlement = ? ORDER BY m.id", (ent["id"],)).fetchall()
    line_pairs = [
        (
            "lineItems",
            [
                ("activationId", [("id", r["activation_id"])]),
                ("description", r["description"]),
                ("product", _product_ident(r["product_unique"], r["product_name"], r["product_version"])),
                ("partNumber", _pk("partId", r["part_id"])),
                ("licenseModel", _pk("name", r["license_model"]) if r["license_model"] else None),
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
                    _pk("activationId", r["parent_activation_id"]) if r["parent_activation_id"] else None,
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
                    _product_ident(m["product_unique"], m["product_name"], m["product_version"]),
                ),
                ("partNumber", _pk("partId", m["part_id"])),
                ("orderId", m["order_id"]),
                ("orderLineNumber", m["order_line_number"]),
                ("startDate", m["start_date"]),
                ("expirationDate", None if m["is_permanent"] else m["expiration_date"]),
                ("isPermanent", bool(m["is_permanent"])),
                ("parentLineItem", _pk("activationId", m["parent_activation_id"])),
                ("state", m["state"]),
            ],
        )
        for m in maints
    ]
    account = db.execute("SELECT name FROM accounts WHERE account_id = ?", (ent["sold_to"],)).fetchone()
    return [
        ("entitlementId", [("id", ent["entitlement_id"])]),
        ("lastModifiedDateTime", ent["modified"]),
        ("description", ent["description"]),
        ("soldTo", ent["sold_to"]),
        ("soldToName", account["name"] if account else None),
        ("shipToEmail", ent["ship_to_email"]),
        ("shipToAddress", ent["ship_to_address"]),
        ("emailTemplateVariation", ent["email_template_variation"]),
        ("state", ent["state"]),
        ("createdUserId", ent["created_by"]),
        *line_pairs,
        *maint_pairs,
        ("allowPortalLogin", None if ent["allow_portal_login"] is None else bool(ent["allow_portal_login"])),
    ]


def get_entitlements(ctx, req):
    page, size = paging(req, required_page=False)
    if size > READ_CAP:
        return _too_many(NS_V4, "searchEntitlementResponse", size)
    q = req.one("entitlementSearchCriteria")
    if q is None:
        raise BadRequest("entitlementSearchCriteria is required")
    where, params = [], []
    text_criterion(q, "entitlementId", "entitlement_id", where, params)
    text_criterion(q, "soldTo", "sold_to", where, params)
    text_criterion(q, "shipToEmail", "ship_to_email", where, params)
    time_criterion(q, "lastModifiedDate", "modified", where, params, day_only=True)
    db = ctx.store.db
    rows = db.execute(
        f"SELECT * FROM entitlements{_where(where)} ORDER BY id LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    ents = [("entitlement", [("simpleEntitlement", _entitlement_pairs(db, row))]) for row in rows]
    return render(NS_V4, "searchEntitlementResponse", [status(), *ents])


class Refused(Exception):
    """One record of a write is refused (the others go on)."""


def _dates(item, what):
    try:
        start = item.day("startDate") or date.today().isoformat()
        end = item.day("expirationDate")
    except BadRequest as exc:
        raise Refused(str(exc)) from None
    permanent = item.flag("isPermanent")
    if not permanent and not end:
        raise Refused(f"{what}: expirationDate is required unless isPermanent is true")
    if end and end < start:
        raise Refused(f"{what}: expirationDate {end} is before startDate {start}")
    return start, (None if permanent else end), int(permanent)


def _part(db, item, what):
    part = item.text("partNumber/primaryKeys/partId") or item.text("partNumber/uniqueId")
    if not part:
        raise Refused(f"{what}: a partNumber is required")
    row = db.execute(
        "SELECT part_id FROM part_numbers WHERE part_id = ? OR unique_id = ?", (part, part)
    ).fetchone()
    if row is None:
        raise Refused(f"{what}: part number {part} does not exist")
    return row["part_id"]


def _activation(ctx, item, prefix):
    act = item.text("activationId/id")
    if not act:
        if not item.flag("activationId/autoGenerate"):
            raise Refused("activationId needs an id or autoGenerate")
        act = f"{prefix}-{ctx.store.next_number('activation'):06d}"
    return act


def _create_one(ctx, item, op):
    db = ctx.store.db
    ent_id = item.text("entitlementId/id")
    if not ent_id:
        if not item.flag("entitlementId/autoGenerate"):
            raise Refused("entitlementId needs an id or autoGenerate")
        ent_id = f"ENT-{ctx.store.next_number('entitlement'):07d}"
    sold_to = item.text("soldTo")
    if not sold_to or not db.execute("SELECT 1 FROM accounts WHERE account_id = ?", (sold_to,)).fetchone():
        raise Refused(f"soldTo account {sold_to} does not exist")
    stamp = ctx.store.stamp()
    existing = db.execute("SELECT * FROM entitlements WHERE entitlement_id = ?", (ent_id,)).fetchone()
    if existing and existing["sold_to"] != sold_to:
        raise Refused(f"entitlement {ent_id} belongs to another account")
    if existing and op is None:
        raise Refused(f"entitlement {ent_id} already exists")
    if existing and op == "CREATE_OR_IGNORE":
        return existing, [], []
    if existing:
        ent_pk = existing["id"]
        db.execute(
            "UPDATE entitlements SET description = COALESCE(?, description), "
            "ship_to_email = COALESCE(?, ship_to_email), modified = ? WHERE id = ?",
            (item.text("description"), item.text("shipToEmail"), stamp, ent_pk),
        )
    else:
        portal = item.text("allowPortalLogin")
        ent_pk = db.execute(
            "INSERT INTO entitlements(entitlement_id, unique_id, sold_to, description, ship_to_email, ship_to_address, "
            "email_template_variation, allow_portal_login, created_by, created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                ent_id,
                new_unique_id(),
                sold_to,
                item.text("description"),
                item.text("shipToEmail"),
                item.text("shipToAddress"),
                item.text("emailTemplateVariation"),
                None if portal is None else int(portal == "true"),
                ctx.user,
                stamp,
                stamp,
            ),
        ).lastrowid
    line_ids, maint_ids = [], []
    for number, line in enumerate(item.all("lineItems"), start=1):
        what = f"line item {number}"
        act = _activation(ctx, line, ent_id)
        part = _part(db, line, what)
        copies = line.integer("numberOfCopies")
        if copies is None or copies < 1:
            raise Refused(f"{what}: numberOfCopies must be at least 1")
        start, end, permanent = _dates(line, what)
        owner = db.execute("SELECT entitlement FROM line_items WHERE activation_id = ?", (act,)).fetchone()
        if owner and owner["entitlement"] != ent_pk:
            raise Refused(f"{what}: activation ID {act} is used by another entitlement")
        values = (
            part,
            copies,
            line.text("orderId"),
            line.text("orderLineNumber"),
            start,
            end,
            permanent,
            line.text("description"),
            line.text("lineItemType"),
        )
        if owner:
            db.execute(
                "UPDATE line_items SET part_id=?, number_of_copies=?, order_id=?, order_line_number=?, start_date=?, "
                "expiration_date=?, is_permanent=?, description=?, support_action=?, modified=? WHERE activation_id=?",
                (*values, stamp, act),
            )
            unique = db.execute("SELECT unique_id FROM line_items WHERE activation_id=?", (act,)).fetchone()[
                0
            ]
        else:
            unique = new_unique_id()
            db.execute(
                "INSERT INTO line_items(part_id, number_of_copies, order_id, order_line_number, start_date, "
                "expiration_date, is_permanent, description, support_action, activation_id, unique_id, entitlement, "
                "created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (*values, act, unique, ent_pk, stamp, stamp),
            )
        line_ids.append((act, unique))
    for number, maint in enumerate(item.all("maintenanceLineItems"), start=1):
        what = f"maintenance line item {number}"
        act = _activation(ctx, maint, ent_id)
        part = _part(db, maint, what)
        parent = maint.text("parentLineItem/primaryKeys/activationId")
        if not parent:
            raise Refused(f"{what}: parentLineItem is required")
        parent_row = db.execute(
            "SELECT entitlement FROM line_items WHERE activation_id = ?", (parent,)
        ).fetchone()
        if parent_row is None:
            raise Refused(f"{what}: parent line item {parent} does not exist")
        start, end, permanent = _dates(maint, what)
        owner = db.execute(
            "SELECT entitlement FROM maintenance_items WHERE activation_id = ?", (act,)
        ).fetchone()
        if owner and owner["entitlement"] != ent_pk:
            raise Refused(f"{what}: activation ID {act} is used by another entitlement")
        values = (part, parent, maint.text("orderId"), maint.text("orderLineNumber"), start, end, permanent)
        if owner:
            db.execute(
                "UPDATE maintenance_items SET part_id=?, parent_activation_id=?, order_id=?, order_line_number=?, "
                "start_date=?, expiration_date=?, is_permanent=?, modified=? WHERE activation_id=?",
                (*values, stamp, act),
            )
            unique = db.execute(
                "SELECT unique_id FROM maintenance_items WHERE activation_id=?", (act,)
            ).fetchone()[0]
        else:
            unique = new_unique_id()
            db.execute(
                "INSERT INTO maintenance_items(part_id, parent_activation_id, order_id, order_line_number, start_date, "
                "expiration_date, is_permanent, activation_id, unique_id, entitlement, created, modified) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (*values, act, unique, ent_pk, stamp, stamp),
            )
        # the parent line shows its maintenance: its modification time moves too
        db.execute("UPDATE line_items SET modified = ? WHERE activation_id = ?", (stamp, parent))
        maint_ids.append((act, unique))
    row = db.execute("SELECT * FROM entitlements WHERE id = ?", (ent_pk,)).fetchone()
    return row, line_ids, maint_ids


def create_simple_entitlements(ctx, req):
    items = req.all("simpleEntitlement")
    if len(items) > WRITE_CAP:
        return _too_many_writes(NS_V4, "createSimpleEntitlementResponse", len(items))
    op = _op_type(req)
    db = ctx.store.db
    created, failed = [], []
    for index, item in enumerate(items):
        if ctx.partial and index % 2 == 1:
            failed.append(
                _failed_copy(
                    item.el, NS_V4, "failedSimpleEntitlement", "simpleEntitlement", "injected partial failure"
                )
            )
            continue
        db.execute("SAVEPOINT ent")
        try:
            row, line_ids, maint_ids = _create_one(ctx, item, op)
        except Refused as exc:
            db.execute("ROLLBACK TO ent")
            db.execute("RELEASE ent")
            failed.append(
                _failed_copy(item.el, NS_V4, "failedSimpleEntitlement", "simpleEntitlement", str(exc))
            )
            continue
        db.execute("RELEASE ent")
        if not line_ids and not maint_ids:  # ignored: report what exists
            line_ids = [
                tuple(r)
                for r in db.execute(
                    "SELECT activation_id, unique_id FROM line_items WHERE entitlement = ? ORDER BY id",
                    (row["id"],),
                )
            ]
            maint_ids = [
                tuple(r)
                for r in db.execute(
                    "SELECT activation_id, unique_id FROM maintenance_items WHERE entitlement = ? ORDER BY id",
                    (row["id"],),
                )
            ]
        created.append(
            (
                "createdSimpleEntitlement",
                [
                    ("recordRefNo", str(index)),
                    ("uniqueId", row["unique_id"]),
                    ("entitlementId", row["entitlement_id"]),
                    *[("lineItemUniqueIds", u) for _, u in line_ids],
                    *[("maintenanceLineItemUniqueIds", u) for _, u in maint_ids],
                    *[("lineItemIdentifiers", _ident(u, "activationId", a)) for a, u in line_ids],
                    *[("maintenanceLineItemIdentifiers", _ident(u, "activationId", a)) for a, u in maint_ids],
                ],
            )
        )
    state, reason = _write_status(ctx, created, failed)
    return render(
        NS_V4,
        "createSimpleEntitlementResponse",
        [status(state, reason), ("failedData", failed or None), ("responseData", created or None)],
    )


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


# --- FlexnetAuthentication v1 -----------------------------------------------------------------


def _user_name(value):
    return (value or "").split("##", 1)[0]


def authenticate_user(ctx, req):
    user_name = _user_name(req.text("userName"))
    password = req.text("password") or ""
    row = ctx.store.db.execute(
        "SELECT password, status, can_login FROM users WHERE user_name = ?", (user_name,)
    ).fetchone()
    ok = bool(
        row
        and row["password"]
        and secrets.compare_digest(row["password"], password)
        and row["status"] == "Active"
        and row["can_login"]
    )
    if ok:
        ctx.store.db.execute("UPDATE users SET last_login = ? WHERE user_name = ?", (now_stamp(), user_name))
    return render(NS_AUTH, "AuthenticateUserReturn", [("Success", ok)])


def get_secure_token(ctx, req):
    user_name = _user_name(req.text("userId"))
    row = ctx.store.db.execute("SELECT 1 FROM users WHERE user_name = ?", (user_name,)).fetchone()
    if row is None:
        raise BadRequest(f"unknown user {user_name}")
    seconds = req.integer("tokenTimeoutSeconds", TOKEN_SECONDS)
    if not 1 <= seconds <= 86400:
        raise BadRequest("tokenTimeoutSeconds must be between 1 and 86400")
    token = secrets.token_urlsafe(32)
    expires = now_stamp(datetime.now(timezone.utc) + timedelta(seconds=seconds))
    ctx.store.db.execute(
        "INSERT INTO secure_tokens(token, user_name, expires) VALUES (?,?,?)", (token, user_name, expires)
    )
    return render(NS_AUTH, "secureTokenResponse", [("token", token)])


def validate_token(ctx, req):
    token = req.text("token") or ""
    claimed = _user_name(req.text("identity/userId")) or None
    db = ctx.store.db
    row = db.execute("SELECT * FROM secure_tokens WHERE token = ?", (token,)).fetchone()
    if row is None:
        code, message = "FAILURE", "unknown token"
    elif row["used"]:
        code, message = "FAILURE", "token already used"
    elif row["expires"] < now_stamp():
        code, message = "FAILURE", "token expired"
    elif claimed and claimed != row["user_name"]:
        code, message = "FAILURE", "token was issued to another user"
    else:
        db.execute("UPDATE secure_tokens SET used = 1 WHERE token = ?", (token,))
        code, message = "SUCCESS", row["user_name"]
    return render(
        NS_AUTH,
        "validateTokenResponse",
        [("statusCorelation", token[:8]), ("statusCode", code), ("statusMessage", message)],
    )


# --- routing ---------------------------------------------------------------------------------

# path -> (namespace, {request element: (operation name, handler)})
ROUTES = {
    "/flexnet/services/v2/ProductPackagingService": (
        NS_V2,
        {"getProductsQueryRequest": ("getProductsQuery", get_products)},
    ),
    "/flexnet/services/v3/UserAcctHierarchyService": (
        NS_V3,
        {
            "getAccountsQueryRequest": ("getAccountsQuery", get_accounts),
            "getUsersQueryRequest": ("getUsersQuery", get_users),
            "createAcctRequest": ("createAccount", create_accounts),
            "createUserRequest": ("createUser", create_users),
        },
    ),
    "/flexnet/services/v1/UserOrgHierarchyService": (
        NS_V1,
        {
            "getOrganizationsQueryRequest": (
                "getOrganizationsQuery",
                lambda c, r: get_accounts(c, r, v1=True),
            ),
            "getUsersQueryRequest": ("getUsersQuery", lambda c, r: get_users(c, r, v1=True)),
        },
    ),
    "/flexnet/services/v4/EntitlementOrderService": (
        NS_V4,
        {
            "searchEntitlementLineItemPropertiesRequest": (
                "getEntitlementLineItemPropertiesQuery",
                get_line_items,
            ),
            "searchEntitlementRequest": ("getEntitlementsQuery", get_entitlements),
            "createSimpleEntitlementRequest": ("createSimpleEntitlement", create_simple_entitlements),
            "emailEntitlementRequest": ("emailEntitlement", email_entitlement),
        },
    ),
    "/flexnet/services/v1/FlexnetAuthentication": (
        NS_AUTH,
        {
            "AuthenticateUserInput": ("authenticateUser", authenticate_user),
            "secureTokenRequest": ("getSecureToken", get_secure_token),
            "validateTokenRequest": ("validateToken", validate_token),
        },
    ),
}
OPERATIONS = sorted({op for _, table in ROUTES.values() for op, _ in table.values()})
