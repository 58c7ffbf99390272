"""SQLite state of the simulated FlexNet site (survives restarts)."""

import sqlite3
import threading
import uuid
from datetime import datetime, timezone

SCHEMA = """
CREATE TABLE IF NOT EXISTS products (
    id INTEGER PRIMARY KEY, unique_id TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL DEFAULT '1.0',
    description TEXT, state TEXT NOT NULL DEFAULT 'DEPLOYED', category TEXT, kind TEXT, carries TEXT,
    created TEXT NOT NULL, modified TEXT NOT NULL, esd_item TEXT, UNIQUE (name, version));
CREATE TABLE IF NOT EXISTS part_numbers (
    part_id TEXT PRIMARY KEY, unique_id TEXT NOT NULL, product_id INTEGER NOT NULL REFERENCES products(id),
    license_model TEXT, description TEXT);
CREATE INDEX IF NOT EXISTS part_numbers_product ON part_numbers(product_id);
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY, unique_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
    account_type TEXT NOT NULL DEFAULT 'CUSTOMER', address1 TEXT, address2 TEXT, city TEXT, state TEXT,
    zipcode TEXT, country TEXT, region TEXT, visible INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL, modified TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS accounts_modified ON accounts(modified);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, unique_id TEXT NOT NULL, user_name TEXT NOT NULL UNIQUE, first_name TEXT NOT NULL,
    last_name TEXT NOT NULL, email TEXT NOT NULL, phone TEXT, display_name TEXT, status TEXT NOT NULL DEFAULT 'Active',
    can_login INTEGER NOT NULL DEFAULT 1, domain TEXT NOT NULL DEFAULT 'FLEXnet', locale TEXT, country TEXT,
    password TEXT, created TEXT NOT NULL, modified TEXT NOT NULL, last_login TEXT);
CREATE INDEX IF NOT EXISTS users_email ON users(email);
CREATE INDEX IF NOT EXISTS users_modified ON users(modified);
CREATE TABLE IF NOT EXISTS user_accounts (
    user_id INTEGER NOT NULL REFERENCES users(id), account_id TEXT NOT NULL REFERENCES accounts(account_id),
    roles TEXT NOT NULL DEFAULT '', PRIMARY KEY (user_id, account_id));
CREATE INDEX IF NOT EXISTS user_accounts_account ON user_accounts(account_id);
CREATE TABLE IF NOT EXISTS entitlements (
    id INTEGER PRIMARY KEY, entitlement_id TEXT NOT NULL UNIQUE, unique_id TEXT NOT NULL,
    sold_to TEXT REFERENCES accounts(account_id), description TEXT, state TEXT NOT NULL DEFAULT 'DEPLOYED',
    ship_to_email TEXT, ship_to_address TEXT, email_template_variation TEXT, allow_portal_login INTEGER,
    created_by TEXT, created TEXT NOT NULL, modified TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'SIMPLE', part_id TEXT REFERENCES part_numbers(part_id), number_of_copies INTEGER,
    order_id TEXT, order_line_number TEXT, start_date TEXT, expiration_date TEXT, is_permanent INTEGER,
    bulk_type TEXT);
CREATE INDEX IF NOT EXISTS entitlements_sold_to ON entitlements(sold_to);
CREATE TABLE IF NOT EXISTS line_items (
    id INTEGER PRIMARY KEY, activation_id TEXT NOT NULL UNIQUE, unique_id TEXT NOT NULL,
    entitlement INTEGER NOT NULL REFERENCES entitlements(id), part_id TEXT NOT NULL REFERENCES part_numbers(part_id),
    number_of_copies INTEGER NOT NULL, fulfilled INTEGER NOT NULL DEFAULT 0, order_id TEXT, order_line_number TEXT,
    start_date TEXT, expiration_date TEXT, is_permanent INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'DEPLOYED', description TEXT, support_action TEXT, parent_activation_id TEXT,
    created TEXT NOT NULL, modified TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS line_items_modified ON line_items(modified, id);
CREATE INDEX IF NOT EXISTS line_items_entitlement ON line_items(entitlement);
CREATE INDEX IF NOT EXISTS line_items_order ON line_items(order_id);
CREATE TABLE IF NOT EXISTS maintenance_items (
    id INTEGER PRIMARY KEY, activation_id TEXT NOT NULL UNIQUE, unique_id TEXT NOT NULL,
    entitlement INTEGER NOT NULL REFERENCES entitlements(id), part_id TEXT NOT NULL REFERENCES part_numbers(part_id),
    parent_activation_id TEXT NOT NULL, order_id TEXT, order_line_number TEXT, start_date TEXT,
    expiration_date TEXT, is_permanent INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'DEPLOYED',
    created TEXT NOT NULL, modified TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS maintenance_parent ON maintenance_items(parent_activation_id);
CREATE TABLE IF NOT EXISTS maintenance_links (
    maintenance INTEGER NOT NULL REFERENCES maintenance_items(id), activation_id TEXT NOT NULL,
    PRIMARY KEY (maintenance, activation_id));
CREATE INDEX IF NOT EXISTS maintenance_links_line ON maintenance_links(activation_id);
CREATE TABLE IF NOT EXISTS features (
    id INTEGER PRIMARY KEY, unique_id TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL DEFAULT '1.0',
    version_format TEXT NOT NULL DEFAULT 'FIXED', description TEXT, state TEXT NOT NULL DEFAULT 'DEPLOYED',
    created TEXT NOT NULL, modified TEXT NOT NULL, UNIQUE (name, version));
CREATE TABLE IF NOT EXISTS product_features (
    product_id INTEGER NOT NULL REFERENCES products(id), feature_id INTEGER NOT NULL REFERENCES features(id),
    PRIMARY KEY (product_id, feature_id));
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, entitlement_id TEXT NOT NULL, recipients TEXT NOT NULL, cc TEXT NOT NULL,
    locale TEXT, subject TEXT NOT NULL, body TEXT NOT NULL, sent TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'entitlement', user_name TEXT);
CREATE TABLE IF NOT EXISTS secure_tokens (
    token TEXT PRIMARY KEY, user_name TEXT NOT NULL, expires TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0);
-- what an entitlement entitles to: its line items, or itself for a bulk entitlement
CREATE VIEW IF NOT EXISTS entitlement_items AS
    SELECT entitlement, part_id, description, start_date, expiration_date, is_permanent FROM line_items
    UNION ALL
    SELECT id, part_id, description, start_date, expiration_date, is_permanent FROM entitlements WHERE kind = 'BULK';
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


SCHEMA_VERSION = 3
# columns added in version 3: (table, column, definition)
_V3_COLUMNS = (
    ("products", "esd_item", "TEXT"),
    ("outbox", "kind", "TEXT NOT NULL DEFAULT 'entitlement'"),
    ("outbox", "user_name", "TEXT"),
)
# columns an entitlement had before bulk entitlements and entitlements without soldTo (version 1)
_ENTITLEMENT_V1_COLUMNS = (
    "id, entitlement_id, unique_id, sold_to, description, state, ship_to_email, ship_to_address, "
    "email_template_variation, allow_portal_login, created_by, created, modified"
)


def now_stamp(moment=None):
    """UTC timestamp with milliseconds; sorts lexically in time order."""
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_unique_id():
    return "HID-" + uuid.uuid4().hex[:16].upper()


class Store:
    """One SQLite database; every request runs under ``store.lock``."""

    def __init__(self, path=":memory:"):
        self.path = path
        self.lock = threading.RLock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL" if path != ":memory:" else "PRAGMA journal_mode=MEMORY")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._last_stamp = ""

    def _migrate(self):
        """Bring a data file of an earlier version up to this schema (foreign keys are off)."""
        if self.db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return
        self._migrate_v1()
        # version 2: products had no ESD item attribute, the outbox held entitlement e-mails only
        for table, column, definition in _V3_COLUMNS:
            existing = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if existing and column not in existing:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    def _migrate_v1(self):
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(entitlements)")}
        if not columns or "kind" in columns:
            return
        # version 1: soldTo was required and there were no bulk entitlements; SQLite cannot drop
        # a NOT NULL constraint, so the table is rebuilt under its own name
        create = SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS entitlements (") :]
        create = create[: create.index(";") + 1].replace(
            "IF NOT EXISTS entitlements (", "entitlements_v2 (", 1
        )
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute(create)
        self.db.execute(
            f"INSERT INTO entitlements_v2 ({_ENTITLEMENT_V1_COLUMNS}) SELECT {_ENTITLEMENT_V1_COLUMNS} FROM entitlements"
        )
        self.db.execute("DROP TABLE entitlements")
        self.db.execute("ALTER TABLE entitlements_v2 RENAME TO entitlements")
        self.db.execute("COMMIT")

    def is_empty(self):
        return self.db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 0

    def stamp(self):
        """A modification time strictly after every earlier one of this process."""
        value = now_stamp()
        if value <= self._last_stamp:
            # same millisecond: move on by one millisecond so that AFTER-queries see it
            moment = datetime.strptime(self._last_stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
            value = now_stamp(moment.fromtimestamp(moment.timestamp() + 0.001, timezone.utc))
        self._last_stamp = value
        return value

    def next_number(self, name):
        row = self.db.execute(
            "INSERT INTO counters(name, value) VALUES (?, 1) "
            "ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
            (name,),
        ).fetchone()
        return row[0]

    def counts(self):
        tables = (
            "products",
            "part_numbers",
            "accounts",
            "users",
            "entitlements",
            "line_items",
            "maintenance_items",
            "features",
        )
        counts = {table: self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables}
        counts["outbox"] = self.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        return counts
