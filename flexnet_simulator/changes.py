"""Changes made on the site behind the API's back (admin API): records deleted or edited as a
FlexNet administrator would in the producer portal, for the tests of reconciliation."""

# kind -> {column: allowed values (None: any text)}; each change stamps the record modified
UPDATABLE = {
    # esd_item "": the media kit no longer names an ESD item
    "products": {
        "state": ("DRAFT", "DEPLOYED", "INACTIVE", "OBSOLETE"),
        "description": None,
        "esd_item": None,
    },
    "accounts": {"name": None},
    # user_name "": a user the site keeps no user name for (its answers omit userName)
    "users": {"status": ("Active", "Inactive"), "user_name": ("",), "email": None},
    "entitlements": {"sold_to": None, "state": ("DRAFT", "DEPLOYED", "INACTIVE", "OBSOLETE")},
    "line_items": {"state": ("DRAFT", "DEPLOYED", "INACTIVE", "OBSOLETE"), "number_of_copies": None},
}
DELETABLE = (
    "products",
    "accounts",
    "users",
    "memberships",
    "entitlements",
    "line_items",
    "maintenance_items",
)


def _marks(values):
    return ",".join("?" * len(values))


def _existing(db, table, column, keys):
    found = {
        row[0] for row in db.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({_marks(keys)})", keys)
    }
    missing = sorted(set(keys) - found)
    if missing:
        raise ValueError(f"no {table} {', '.join(missing)}")
    return keys


def _delete_maintenance(db, where, params, stamp):
    """Delete maintenance items (and their links); the lines they covered are modified."""
    rows = db.execute(
        f"SELECT id, parent_activation_id FROM maintenance_items WHERE {where}", params
    ).fetchall()
    ids = [r["id"] for r in rows]
    if not ids:
        return
    covered = {r["parent_activation_id"] for r in rows}
    covered |= {
        r[0]
        for r in db.execute(
            f"SELECT activation_id FROM maintenance_links WHERE maintenance IN ({_marks(ids)})", ids
        )
    }
    db.execute(f"DELETE FROM maintenance_links WHERE maintenance IN ({_marks(ids)})", ids)
    db.execute(f"DELETE FROM maintenance_items WHERE id IN ({_marks(ids)})", ids)
    covered = sorted(covered)
    db.execute(
        f"UPDATE line_items SET modified = ? WHERE activation_id IN ({_marks(covered)})", [stamp, *covered]
    )


def _delete_lines(db, activation_ids, stamp):
    """Delete line items with the maintenance they are the parent of; their entitlements are
    modified."""
    if not activation_ids:
        return
    marks = _marks(activation_ids)
    entitlements = [
        r[0]
        for r in db.execute(
            f"SELECT DISTINCT entitlement FROM line_items WHERE activation_id IN ({marks})", activation_ids
        )
    ]
    _delete_maintenance(db, f"parent_activation_id IN ({marks})", activation_ids, stamp)
    db.execute(f"DELETE FROM maintenance_links WHERE activation_id IN ({marks})", activation_ids)
    db.execute(f"DELETE FROM line_items WHERE activation_id IN ({marks})", activation_ids)
    if entitlements:
        db.execute(
            f"UPDATE entitlements SET modified = ? WHERE id IN ({_marks(entitlements)})",
            [stamp, *entitlements],
        )


def delete(store, kind, keys):
    """Delete records of ``kind`` by their keys (part numbers for products, user names,
    ``[user name, account ID]`` pairs for memberships, entitlement and activation IDs); what
    depends on them goes too (an entitlement's items, a user's memberships). A product or an
    account still in use is refused. Returns the keys deleted."""
    if kind not in DELETABLE:
        raise ValueError(f"cannot delete {kind!r}: one of {', '.join(DELETABLE)}")
    if not isinstance(keys, list) or not keys:
        raise ValueError("keys must be a non-empty list")
    db = store.db
    with store.lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            stamp = store.stamp()
            _delete(db, kind, keys, stamp)
        except Exception:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return keys


def _delete(db, kind, keys, stamp):
    if kind == "memberships":
        for pair in keys:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ValueError("a membership is a [user name, account ID] pair")
            user_name, account_id = pair
            user = db.execute("SELECT id FROM users WHERE user_name = ?", (user_name,)).fetchone()
            if (
                user is None
                or not db.execute(
                    "DELETE FROM user_accounts WHERE user_id = ? AND account_id = ?", (user["id"], account_id)
                ).rowcount
            ):
                raise ValueError(f"{user_name} is not a user of {account_id}")
            db.execute("UPDATE users SET modified = ? WHERE id = ?", (stamp, user["id"]))
        return
    keys = [str(k) for k in keys]
    marks = _marks(keys)
    if kind == "line_items":
        _delete_lines(db, _existing(db, "line_items", "activation_id", keys), stamp)
    elif kind == "maintenance_items":
        _existing(db, "maintenance_items", "activation_id", keys)
        _delete_maintenance(db, f"activation_id IN ({marks})", keys, stamp)
    elif kind == "entitlements":
        _existing(db, "entitlements", "entitlement_id", keys)
        ids = [
            r[0] for r in db.execute(f"SELECT id FROM entitlements WHERE entitlement_id IN ({marks})", keys)
        ]
        lines = [
            r[0]
            for r in db.execute(
                f"SELECT activation_id FROM line_items WHERE entitlement IN ({_marks(ids)})", ids
            )
        ]
        _delete_maintenance(db, f"entitlement IN ({_marks(ids)})", ids, stamp)
        _delete_lines(db, lines, stamp)
        db.execute(f"DELETE FROM entitlements WHERE id IN ({_marks(ids)})", ids)
    elif kind == "users":
        _existing(db, "users", "user_name", keys)
        db.execute(
            f"DELETE FROM user_accounts WHERE user_id IN (SELECT id FROM users WHERE user_name IN ({marks}))",
            keys,
        )
        db.execute(f"DELETE FROM users WHERE user_name IN ({marks})", keys)
    elif kind == "accounts":
        _existing(db, "accounts", "account_id", keys)
        used = db.execute(
            f"SELECT account_id FROM user_accounts WHERE account_id IN ({marks}) "
            f"UNION SELECT sold_to FROM entitlements WHERE sold_to IN ({marks})",
            [*keys, *keys],
        ).fetchall()
        if used:
            raise ValueError(
                f"accounts still in use by users or entitlements: {', '.join(r[0] for r in used)}"
            )
        db.execute(f"DELETE FROM accounts WHERE account_id IN ({marks})", keys)
    elif kind == "products":
        _existing(db, "part_numbers", "part_id", keys)
        used = db.execute(
            f"SELECT part_id FROM line_items WHERE part_id IN ({marks}) "
            f"UNION SELECT part_id FROM maintenance_items WHERE part_id IN ({marks}) "
            f"UNION SELECT part_id FROM entitlements WHERE part_id IN ({marks})",
            [*keys, *keys, *keys],
        ).fetchall()
        if used:
            raise ValueError(f"part numbers still on entitlements: {', '.join(r[0] for r in used)}")
        products = [
            r[0]
            for r in db.execute(
                f"SELECT DISTINCT product_id FROM part_numbers WHERE part_id IN ({marks})", keys
            )
        ]
        db.execute(f"DELETE FROM part_numbers WHERE part_id IN ({marks})", keys)
        for product in products:  # a product without part numbers left goes too
            if not db.execute("SELECT 1 FROM part_numbers WHERE product_id = ?", (product,)).fetchone():
                db.execute("DELETE FROM product_features WHERE product_id = ?", (product,))
                db.execute("DELETE FROM products WHERE id = ?", (product,))


_KEYS = {
    "products": ("products", "id IN (SELECT product_id FROM part_numbers WHERE part_id IN ({}))"),
    "accounts": ("accounts", "account_id IN ({})"),
    # a user without a user name is found by its e-mail
    "users": ("users", "(user_name IN ({0}) OR (user_name = '' AND email IN ({0})))"),
    "entitlements": ("entitlements", "entitlement_id IN ({})"),
    "line_items": ("line_items", "activation_id IN ({})"),
}


def update(store, kind, keys, values):
    """Set ``values`` (columns of ``UPDATABLE``) on the records of ``kind`` with these keys
    (part numbers for products) and stamp them modified. Only the records themselves change:
    an entitlement given to another account keeps its line items as they are, as a FlexNet
    administrator's transfer does; a state set here does not reach the entitlement's items (use
    setEntitlementState for that). Returns the keys changed."""
    allowed = UPDATABLE.get(kind)
    if allowed is None:
        raise ValueError(f"cannot update {kind!r}: one of {', '.join(UPDATABLE)}")
    if not isinstance(keys, list) or not keys or not isinstance(values, dict) or not values:
        raise ValueError("keys must be a non-empty list and values a non-empty object")
    for column, value in values.items():
        if column not in allowed:
            raise ValueError(f"{kind}: cannot set {column!r}; one of {', '.join(allowed)}")
        if allowed[column] is not None and value not in allowed[column]:
            raise ValueError(f"{kind}: {column} must be one of {', '.join(allowed[column])}")
    keys = [str(k) for k in keys]
    table, where = _KEYS[kind]
    db = store.db
    with store.lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            if (
                "sold_to" in values
                and not db.execute(
                    "SELECT 1 FROM accounts WHERE account_id = ?", (values["sold_to"],)
                ).fetchone()
            ):
                raise ValueError(f"no account {values['sold_to']}")
            if (
                kind == "users"
                and "user_name" in values
                and (len(keys) > 1 or db.execute("SELECT 1 FROM users WHERE user_name = ''").fetchone())
            ):
                raise ValueError("the simulator keeps one user without a user name at a time")
            stamp = store.stamp()
            columns = ", ".join(f"{column} = ?" for column in values)
            repeat = 2 if "{0}" in where else 1
            changed = db.execute(
                f"UPDATE {table} SET {columns}, modified = ? WHERE {where.format(_marks(keys))}",
                [*values.values(), stamp, *keys * repeat],
            ).rowcount
            if not changed:
                raise ValueError(f"no {kind} {', '.join(keys)}")
        except Exception:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return keys


def transfer_lines(store, keys, entitlement_id):
    """Move the line items of these activation IDs, with their maintenance items, to the
    entitlement ``entitlement_id`` keeping their activation IDs, as FlexNet's
    ``transferLineItems`` with ``useSameActivationId`` does; the lines are stamped modified,
    and keep their place in a walk by position. Returns the keys moved."""
    if not isinstance(keys, list) or not keys or not isinstance(entitlement_id, str) or not entitlement_id:
        raise ValueError("keys must be a non-empty list and entitlement_id an entitlement ID")
    keys = [str(k) for k in keys]
    db = store.db
    with store.lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            target = db.execute(
                "SELECT id FROM entitlements WHERE entitlement_id = ?", (entitlement_id,)
            ).fetchone()
            if not target:
                raise ValueError(f"no entitlement {entitlement_id}")
            _existing(db, "line_items", "activation_id", keys)
            db.execute(
                f"UPDATE line_items SET entitlement = ?, modified = ? WHERE activation_id IN ({_marks(keys)})",
                [target[0], store.stamp(), *keys],
            )
        except Exception:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return keys
