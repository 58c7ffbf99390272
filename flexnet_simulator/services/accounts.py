"""Accounts (UserAcctHierarchyService v3) and organizations (UserOrgHierarchyService v1), with
their users: queries, counts, and account and user creation (v3)."""

import json

from ..store import new_unique_id, now_stamp
from ..wire import render, status
from .common import (
    NS_V1,
    NS_V3,
    READ_CAP,
    WRITE_CAP,
    attributes,
    boolean,
    criteria,
    equals,
    failed_copy,
    ident,
    matches_everything,
    moment,
    one_of,
    op_type,
    paging,
    pk,
    text,
    text_in,
    too_many,
    too_many_writes,
    where_sql,
    write_status,
)


def _account_criteria(v1):
    names = (
        ("orgName", "orgDisplayName", "onlyRootOrgs", "orgType", "orgTypeList")
        if v1
        else (
            "accountID",
            "accountName",
            "onlyRootAccounts",
            "accountType",
            "accountTypeList",
        )
    )
    spec = {
        names[0]: text("a.account_id"),
        names[1]: text("a.name"),
        "description": text("a.description"),
        # every simulated account is a root account: there is no account hierarchy
        names[2]: matches_everything,
        names[3]: equals("a.account_type"),
        names[4]: one_of("a.account_type"),
        "customAttributes": attributes({}, "organizations" if v1 else "accounts"),
        "lastModifiedDateTime": moment("a.modified"),
    }
    for column in ("address1", "address2", "city", "state", "zipcode", "country", "region"):
        spec[column] = text(f"a.{column}")
    return spec


ACCOUNT_CRITERIA = {False: _account_criteria(False), True: _account_criteria(True)}

_MEMBER_OF = "u.id IN (SELECT ua.user_id FROM user_accounts ua JOIN accounts a ON a.account_id = ua.account_id WHERE {})"


def _has_role(crit, where, params):
    roles = [(c.el.text or "").strip() for c in crit.children()]
    where.append(
        "u.id IN (SELECT user_id FROM user_accounts WHERE "
        + " OR ".join("(',' || roles || ',') LIKE ?" for _ in roles)
        + ")"
    )
    params.extend(f"%,{role},%" for role in roles)


def _member_of_type(crit, where, params):
    where.append(_MEMBER_OF.format("a.account_type = ?"))
    params.append((crit.el.text or "").strip())


def _user_criteria(v1):
    spec = {
        "userName": text("u.user_name"),
        "firstName": text("u.first_name"),
        "lastName": text("u.last_name"),
        "displayName": text("u.display_name"),
        "emailAddress": text("u.email"),
        "phoneNumber": text("u.phone"),
        # the simulated users keep no fax number and no postal address but their country
        "faxNumber": text("NULL"),
        "street": text("NULL"),
        "city": text("NULL"),
        "state": text("NULL"),
        "zipcode": text("NULL"),
        "country": text("u.country"),
        "isActive": boolean("u.status = 'Active'"),
        "canLogIn": boolean("u.can_login = 1"),
        "customAttributes": attributes({}, "users"),
        "lastModifiedDateTime": moment("u.modified"),
    }
    if v1:
        spec["orgName"] = text_in(_MEMBER_OF, "a.account_id")
        spec["orgDisplayName"] = text_in(_MEMBER_OF, "a.name")
        spec["orgType"] = _member_of_type
    else:
        spec["accountID"] = text_in(_MEMBER_OF, "a.account_id")
        spec["accountName"] = text_in(_MEMBER_OF, "a.name")
        spec["accountType"] = _member_of_type
        spec["roles"] = _has_role
    return spec


USER_CRITERIA = {False: _user_criteria(False), True: _user_criteria(True)}


def _address(row):
    pairs = [(k, row[k]) for k in ("address1", "address2", "city", "state", "zipcode", "country", "region")]
    return pairs if any(v for _, v in pairs) else None


def _status(ctx, records, what):
    if ctx.partial:
        return status("PARTIAL_FAILURE", f"some {what} could not be read"), records[: len(records) // 2]
    return status(), records


def get_accounts(ctx, req, v1=False):
    ns = NS_V1 if v1 else NS_V3
    operation = "getOrganizationsQuery" if v1 else "getAccountsQuery"
    page, size = paging(req)
    if size > READ_CAP:
        return too_many(ns, f"{operation}Response", size)
    where, params = criteria(req.one("queryParams"), ACCOUNT_CRITERIA[v1], operation)
    # pages in the order the accounts were created: a walk while accounts change neither
    # skips nor repeats one
    rows = ctx.store.db.execute(
        f"SELECT * FROM accounts a{where_sql(where)} ORDER BY a.rowid LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    records = []
    for row in rows:
        if v1:
            records.append(
                (
                    "orgData",
                    [
                        ("organization", ident(row["unique_id"], "name", row["account_id"])),
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
                        ("account", ident(row["unique_id"], "id", row["account_id"])),
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
    info, records = _status(ctx, records, "accounts")
    return render(ns, f"{operation}Response", [info, ("responseData", records)])


def count_accounts(ctx, req, v1=False):
    ns = NS_V1 if v1 else NS_V3
    operation = "getOrganizationCount" if v1 else "getAccountCount"
    where, params = criteria(req.one("queryParams"), ACCOUNT_CRITERIA[v1], operation)
    count = ctx.store.db.execute(f"SELECT COUNT(*) FROM accounts a{where_sql(where)}", params).fetchone()[0]
    return render(ns, f"{operation}Response", [status(), ("responseData", [("count", count)])])


def get_users(ctx, req, v1=False):
    ns = NS_V1 if v1 else NS_V3
    page, size = paging(req)
    if size > READ_CAP:
        return too_many(ns, "getUsersQueryResponse", size)
    where, params = criteria(req.one("queryParams"), USER_CRITERIA[v1], "getUsersQuery")
    db = ctx.store.db
    rows = db.execute(
        f"SELECT * FROM users u{where_sql(where)} ORDER BY u.id LIMIT ? OFFSET ?",
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
                    ("orgRoles", [("organization", pk("name", m["account_id"])), ("roles", roles or None)])
                )
            else:
                roles_list.append(
                    ("acctRoles", [("account", pk("id", m["account_id"])), ("roles", roles or None)])
                )
        users.append(
            (
                "user",
                [
                    (
                        "userIdentifier",
                        [
                            ("uniqueId", row["unique_id"]),
                            ("userName", row["user_name"] or None),  # none kept: omitted
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
    info, users = _status(ctx, users, "users")
    return render(ns, "getUsersQueryResponse", [info, ("responseData", users)])


def count_users(ctx, req, v1=False):
    ns = NS_V1 if v1 else NS_V3
    where, params = criteria(req.one("queryParams"), USER_CRITERIA[v1], "getUserCount")
    count = ctx.store.db.execute(f"SELECT COUNT(*) FROM users u{where_sql(where)}", params).fetchone()[0]
    return render(ns, "getUserCountResponse", [status(), ("responseData", [("count", count)])])


def create_accounts(ctx, req):
    items = req.all("account")
    if len(items) > WRITE_CAP:
        return too_many_writes(NS_V3, "createAcctResponse", len(items))
    op = op_type(req)
    db = ctx.store.db
    created, failed = [], []
    for index, item in enumerate(items):
        account_id = item.text("id")
        name = item.text("name")
        kind = item.text("accountType", "CUSTOMER")
        if ctx.partial and index % 2 == 1:
            failed.append(failed_copy(item.el, NS_V3, "failedAcct", "account", "injected partial failure"))
            continue
        if not account_id or not name:
            failed.append(
                failed_copy(item.el, NS_V3, "failedAcct", "account", "account id and name are required")
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
                    failed_copy(
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
            created.append(("account", ident(existing["unique_id"], "id", account_id)))
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
        created.append(("account", ident(unique, "id", account_id)))
    state, reason = write_status(ctx, created, failed)
    return render(
        NS_V3,
        "createAcctResponse",
        [status(state, reason), ("failedData", failed or None), ("responseData", created or None)],
    )


def create_users(ctx, req):
    items = req.all("user")
    if len(items) > WRITE_CAP:
        return too_many_writes(NS_V3, "createUserResponse", len(items))
    op = op_type(req)
    db = ctx.store.db
    created, failed = [], []
    for index, item in enumerate(items):
        email = item.text("emailAddress")
        user_name = item.text("userName") or email
        if ctx.partial and index % 2 == 1:
            failed.append(failed_copy(item.el, NS_V3, "failedUser", "user", "injected partial failure"))
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
                failed_copy(item.el, NS_V3, "failedUser", "user", f"account {missing[0]} does not exist")
            )
            continue
        existing = db.execute("SELECT id, unique_id FROM users WHERE user_name = ?", (user_name,)).fetchone()
        stamp = ctx.store.stamp()
        if existing and op is None:
            failed.append(
                failed_copy(item.el, NS_V3, "failedUser", "user", f"user {user_name} already exists")
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
            if item.flag("canLogin", True):
                _send_welcome(db, user_name, email, item.text("locale"), [a for a, _ in accounts])
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
    state, reason = write_status(ctx, created, failed)
    return render(
        NS_V3,
        "createUserResponse",
        [status(state, reason), ("failedData", failed or None), ("responseData", created or None)],
    )


def _send_welcome(db, user_name, email, locale, account_ids):
    """FlexNet e-mails every new user who may log in its welcome message (login name and how
    to set a password); createUser has no element to ask for it or to leave it out."""
    names = [
        r["name"]
        for r in db.execute(
            f"SELECT name FROM accounts WHERE account_id IN ({','.join('?' * len(account_ids))}) ORDER BY name",
            account_ids,
        )
    ]
    db.execute(
        "INSERT INTO outbox(entitlement_id, recipients, cc, locale, subject, body, sent, kind, user_name) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        (
            "",
            json.dumps([email]),
            "[]",
            locale,
            "Welcome to the download and licensing portal",
            f"Your user name: {user_name}\nAccount: {', '.join(names)}\n"
            "Set your password with the link in this message, then sign in to download your software.",
            now_stamp(),
            "welcome",
            user_name,
        ),
    )
