"""Demo data (a believable software vendor) and deterministic large data sets."""

import random
from datetime import date, datetime, timedelta, timezone

from .store import new_unique_id, now_stamp

DEMO_PASSWORD = "flexnet"

# (title, version, [(part, product name, kind, description, license model)])
DEMO_CATALOG = [
    (
        "CAD Studio",
        "2025",
        [
            ("CADS-PRO-LIC", "CAD Studio", "license", "CAD Studio Professional license", "Node-locked"),
            ("CADS-SEAT", "CAD Studio Extra Seat", "seats", "CAD Studio additional seat", "Floating"),
            ("CADS-RENDER", "CAD Studio Render Module", "addon", "Photorealistic render add-on", "Floating"),
            ("CADS-MNT-1Y", "CAD Studio Maintenance", "maintenance", "CAD Studio maintenance, 1 year", None),
            ("CADS-MEDIA-DVD", "CAD Studio Media Kit", "media_kit", "CAD Studio installation DVD", None),
        ],
    ),
    (
        "SimFlow Analyzer",
        "5.2",
        [
            ("SIMF-LIC", "SimFlow Analyzer", "license", "SimFlow Analyzer license", "Floating"),
            ("SIMF-SEAT", "SimFlow Analyzer Extra Seat", "seats", "SimFlow additional seat", "Floating"),
            ("SIMF-CFD", "SimFlow CFD Solver", "addon", "Computational fluid dynamics add-on", "Floating"),
            (
                "SIMF-MNT-1Y",
                "SimFlow Analyzer Maintenance",
                "maintenance",
                "SimFlow maintenance, 1 year",
                None,
            ),
            (
                "SIMF-MEDIA-USB",
                "SimFlow Analyzer Media Kit",
                "media_kit",
                "SimFlow installation USB drive",
                None,
            ),
        ],
    ),
    (
        "DataVault Server",
        "3.1",
        [
            ("DVS-LIC", "DataVault Server", "license", "DataVault Server license", "Server"),
            ("DVS-HA", "DataVault High Availability", "addon", "High-availability cluster add-on", "Server"),
            (
                "DVS-MNT-1Y",
                "DataVault Server Maintenance",
                "maintenance",
                "DataVault maintenance, 1 year",
                None,
            ),
            ("DVS-MEDIA-DVD", "DataVault Server Media Kit", "media_kit", "DataVault installation DVD", None),
        ],
    ),
]

# (account id, name, type, city, country)
DEMO_ACCOUNTS = [
    ("ACME-001", "Acme Industries", "CUSTOMER", "Chicago", "US"),
    ("NW-0042", "Northwind Engineering", "CUSTOMER", "Bristol", "GB"),
    ("GLX-017", "Globex Corporation", "CUSTOMER", "Springfield", "US"),
    ("INI-220", "Initech", "CUSTOMER", "Austin", "US"),
    ("UMB-515", "Umbrella Research GmbH", "CUSTOMER", "Munich", "DE"),
    ("SSP-900", "Summit Software Partners", "CHANNEL_PARTNER", "Denver", "US"),
    ("RSL-310", "Redstone Resellers BV", "CHANNEL_PARTNER", "Rotterdam", "NL"),
]

# media kit part -> partner product ID of the ESD item (download) it carries, 1 to 1
DEMO_ESD_ITEMS = {
    "CADS-MEDIA-DVD": "CADS-2025-WIN64",
    "SIMF-MEDIA-USB": "SIMF-52-WIN64",
    "DVS-MEDIA-DVD": "DVS-31-LINUX",
}

# account -> (street, state, zip code) of its FlexNet profile
DEMO_ADDRESSES = {
    "ACME-001": ("400 West Lake Street", "IL", "60606"),
    "NW-0042": ("12 Harbourside", None, "BS1 5TX"),
    "GLX-017": ("742 Evergreen Terrace", "IL", "62704"),
    "INI-220": ("4120 Freidrich Lane", "TX", "78744"),
    "UMB-515": ("Leopoldstrasse 1", "BY", "80802"),
}

# e-mail -> phone number of a FlexNet user
DEMO_PHONES = {
    "carla@northwind.example.com": "+44 117 496 0042",
    "dev.patel@northwind.example.com": "+44 117 496 0043",
    "alice.walker@acme.example.com": "+1 312 555 0101",
}

# (account, first, last, email, roles, days since last login or None)
DEMO_USERS = [
    ("ACME-001", "Alice", "Walker", "alice.walker@acme.example.com", "Portal Admin", 3),
    ("ACME-001", "Bob", "Nguyen", "bob.nguyen@acme.example.com", "Portal User", 12),
    ("ACME-001", "Chen", "Li", "chen.li@acme.example.com", "Portal User", None),
    ("NW-0042", "Carla", "Customer", "carla@northwind.example.com", "Portal Admin", 1),
    ("NW-0042", "Dev", "Patel", "dev.patel@northwind.example.com", "Portal User", 40),
    ("GLX-017", "Grace", "Hopper", "grace@globex.example.com", "Portal Admin", 7),
    ("GLX-017", "Hank", "Scorpio", "hank@globex.example.com", "Portal User", 200),
    ("INI-220", "Peter", "Gibbons", "peter.gibbons@initech.example.com", "Portal Admin", 30),
    ("INI-220", "Samir", "Nagheenanajar", "samir@initech.example.com", "Portal User", 15),
    ("UMB-515", "Jill", "Valentine", "jill.valentine@umbrella.example.com", "Portal Admin", 2),
    ("SSP-900", "Rick", "Reseller", "rick@summit-partners.example.com", "Portal Admin", 5),
    ("SSP-900", "Sue", "Summit", "sue@summit-partners.example.com", "Portal User", 60),
    ("RSL-310", "Ruud", "de Steen", "ruud@redstone.example.com", "Portal Admin", 9),
]

# (entitlement id, account, [(part, seats, maintenance part or None, maintenance end offset days)])
DEMO_ENTITLEMENTS = [
    ("ENT-ACME-1001", "ACME-001", [("CADS-PRO-LIC", 10, "CADS-MNT-1Y", 200), ("CADS-RENDER", 5, None, None)]),
    ("ENT-ACME-1002", "ACME-001", [("SIMF-LIC", 3, "SIMF-MNT-1Y", 25)]),
    ("ENT-NW-2001", "NW-0042", [("CADS-PRO-LIC", 4, "CADS-MNT-1Y", 45), ("CADS-SEAT", 2, None, None)]),
    ("ENT-NW-2002", "NW-0042", [("DVS-LIC", 1, "DVS-MNT-1Y", -20)]),
    ("ENT-GLX-3001", "GLX-017", [("SIMF-LIC", 20, "SIMF-MNT-1Y", 300), ("SIMF-CFD", 20, None, None)]),
    ("ENT-INI-4001", "INI-220", [("DVS-LIC", 2, "DVS-MNT-1Y", -75), ("DVS-HA", 1, None, None)]),
    ("ENT-UMB-5001", "UMB-515", [("CADS-PRO-LIC", 8, "CADS-MNT-1Y", 10)]),
    (
        "ENT-SSP-9001",
        "SSP-900",
        [("CADS-PRO-LIC", 2, "CADS-MNT-1Y", 150), ("SIMF-LIC", 2, "SIMF-MNT-1Y", 150)],
    ),
]


def _product_rows(catalog, stamp):
    products, parts = [], []
    for title, version, items in catalog:
        for part_id, name, kind, description, model in items:
            pid = len(products) + 1
            carries = None if kind == "license" else title
            category = {
                "license": "Licenses",
                "seats": "Extra seats",
                "addon": "Add-ons",
                "maintenance": "Maintenance",
                "media_kit": "Media kits",
            }[kind]
            products.append(
                (
                    pid,
                    new_unique_id(),
                    name,
                    version,
                    description,
                    "DEPLOYED",
                    category,
                    kind,
                    carries,
                    stamp,
                    stamp,
                )
            )
            parts.append((part_id, new_unique_id(), pid, model, description))
    return products, parts


def _feature_name(name):
    """A FlexNet feature name: letters and digits of the product name, e.g. ``CADStudioRenderModule``."""
    return "".join(ch for word in name.split() for ch in word[:1].upper() + word[1:] if ch.isalnum())


def _insert_catalog(db, products, parts):
    db.executemany(
        "INSERT INTO products(id, unique_id, name, version, description, state, category, kind, carries, "
        "created, modified) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        products,
    )
    db.executemany(
        "INSERT INTO part_numbers(part_id, unique_id, product_id, license_model, description) VALUES (?,?,?,?,?)",
        parts,
    )
    # features: a license and its extra seats enable the title's feature, an add-on its own one;
    # maintenance and media kits enable none
    features = {}
    links = []
    for pid, _unique, name, version, _desc, _state, _category, kind, carries, stamp, _ in products:
        if kind not in ("license", "seats", "addon"):
            continue
        key = (_feature_name(carries if kind == "seats" else name), version)
        if key not in features:
            features[key] = len(features) + 1
            db.execute(
                "INSERT INTO features(id, unique_id, name, version, description, created, modified) "
                "VALUES (?,?,?,?,?,?,?)",
                (features[key], new_unique_id(), key[0], version, f"{key[0]} feature", stamp, stamp),
            )
        links.append((pid, features[key]))
    db.executemany("INSERT INTO product_features(product_id, feature_id) VALUES (?,?)", links)


def load_demo(store, today=None):
    """Fill an empty store with the demo vendor. Dates are relative to ``today``."""
    today = today or date.today()
    stamp = now_stamp()
    db = store.db
    with store.lock:
        db.execute("BEGIN")
        products, parts = _product_rows(DEMO_CATALOG, stamp)
        _insert_catalog(db, products, parts)
        for account_id, name, kind, city, country in DEMO_ACCOUNTS:
            db.execute(
                "INSERT INTO accounts(account_id, unique_id, name, account_type, city, country, created, modified) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (account_id, new_unique_id(), name, kind, city, country, stamp, stamp),
            )
        for account_id, (street, state, zipcode) in DEMO_ADDRESSES.items():
            db.execute(
                "UPDATE accounts SET address1 = ?, state = ?, zipcode = ? WHERE account_id = ?",
                (street, state, zipcode, account_id),
            )
        for part_id, esd_item in DEMO_ESD_ITEMS.items():
            db.execute(
                "UPDATE products SET esd_item = ? WHERE id = (SELECT product_id FROM part_numbers WHERE part_id = ?)",
                (esd_item, part_id),
            )
        for account_id, first, last, email, roles, login_days in DEMO_USERS:
            last_login = None
            if login_days is not None:
                last_login = now_stamp(datetime.now(timezone.utc) - timedelta(days=login_days))
            cur = db.execute(
                "INSERT INTO users(unique_id, user_name, first_name, last_name, email, phone, display_name, "
                "password, created, modified, last_login, country) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    new_unique_id(),
                    email,
                    first,
                    last,
                    email,
                    DEMO_PHONES.get(email),
                    f"{first} {last}",
                    DEMO_PASSWORD,
                    stamp,
                    stamp,
                    last_login,
                    next(a[4] for a in DEMO_ACCOUNTS if a[0] == account_id),
                ),
            )
            db.execute(
                "INSERT INTO user_accounts(user_id, account_id, roles) VALUES (?,?,?)",
                (cur.lastrowid, account_id, roles),
            )
        for ent_id, account_id, lines in DEMO_ENTITLEMENTS:
            cur = db.execute(
                "INSERT INTO entitlements(entitlement_id, unique_id, sold_to, description, created_by, created, "
                "modified) VALUES (?,?,?,?,?,?,?)",
                (ent_id, new_unique_id(), account_id, f"Entitlement {ent_id}", "admin", stamp, stamp),
            )
            ent_pk = cur.lastrowid
            for number, (part, seats, maint_part, maint_end) in enumerate(lines, start=1):
                activation = f"{ent_id}-L{number}"
                start = today - timedelta(days=365)
                db.execute(
                    "INSERT INTO line_items(activation_id, unique_id, entitlement, part_id, number_of_copies, "
                    "order_id, order_line_number, start_date, is_permanent, created, modified) "
                    "VALUES (?,?,?,?,?,?,?,?,1,?,?)",
                    (
                        activation,
                        new_unique_id(),
                        ent_pk,
                        part,
                        seats,
                        f"PO-{ent_id}",
                        str(number),
                        start.isoformat(),
                        stamp,
                        stamp,
                    ),
                )
                if maint_part:
                    end = today + timedelta(days=maint_end)
                    db.execute(
                        "INSERT INTO maintenance_items(activation_id, unique_id, entitlement, part_id, "
                        "parent_activation_id, order_id, order_line_number, start_date, expiration_date, created, "
                        "modified) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            f"{activation}-M",
                            new_unique_id(),
                            ent_pk,
                            maint_part,
                            activation,
                            f"PO-{ent_id}",
                            str(number),
                            (end - timedelta(days=365)).isoformat(),
                            end.isoformat(),
                            stamp,
                            stamp,
                        ),
                    )
        db.execute("COMMIT")


GENERATED_BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)
MINUTES_A_YEAR = 365 * 24 * 60


def _spread_stamp(i):
    """A last-modified time in the year before GENERATED_BASE, spread over it as on a site in
    service (records of one batch do not all change at one instant)."""
    return now_stamp(GENERATED_BASE - timedelta(minutes=(i * 7919) % MINUTES_A_YEAR))


def generate(store, lines, seed=42):
    """A deterministic data set: ``lines`` entitlement lines, lines/10 accounts, 3x as many users,
    their last-modified times spread over the year before ``GENERATED_BASE``."""
    rng = random.Random(seed)
    n_accounts = max(1, lines // 10)
    n_users = 3 * n_accounts
    stamp = now_stamp(GENERATED_BASE)
    db = store.db
    catalog = []
    for t in range(20):
        title = f"Title {t:02d}"
        catalog.append(
            (
                title,
                "1.0",
                [
                    (f"T{t:02d}-LIC", title, "license", f"{title} license", "Floating"),
                    (f"T{t:02d}-SEAT", f"{title} Extra Seat", "seats", f"{title} seat", "Floating"),
                    (f"T{t:02d}-ADD", f"{title} Add-on", "addon", f"{title} add-on", "Floating"),
                    (f"T{t:02d}-MNT", f"{title} Maintenance", "maintenance", f"{title} maintenance", None),
                    (f"T{t:02d}-MEDIA", f"{title} Media Kit", "media_kit", f"{title} media", None),
                ],
            )
        )
    types = ("CUSTOMER",) * 9 + ("CHANNEL_PARTNER",)
    countries = ("US", "GB", "DE", "FR", "NL", "JP", "BR", "IN")
    with store.lock:
        db.execute("BEGIN")
        products, parts = _product_rows(catalog, stamp)
        _insert_catalog(db, products, parts)
        db.executemany(
            "INSERT INTO accounts(account_id, unique_id, name, account_type, city, country, created, modified) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (
                (
                    f"ACC-{a:06d}",
                    f"HID-A{a:06d}",
                    f"Customer {a:06d}",
                    types[a % 10],
                    f"City {a % 97}",
                    countries[a % 8],
                    _spread_stamp(a),
                    _spread_stamp(a),
                )
                for a in range(n_accounts)
            ),
        )
        db.executemany(
            "INSERT INTO users(id, unique_id, user_name, first_name, last_name, email, display_name, password, "
            "created, modified, last_login) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    u + 1,
                    f"HID-U{u:07d}",
                    f"user{u:07d}@example.com",
                    f"First{u}",
                    f"Last{u}",
                    f"user{u:07d}@example.com",
                    f"First{u} Last{u}",
                    DEMO_PASSWORD,
                    _spread_stamp(u),
                    _spread_stamp(u),
                    now_stamp(GENERATED_BASE - timedelta(days=u % 400)),
                )
                for u in range(n_users)
            ),
        )
        db.executemany(
            "INSERT INTO user_accounts(user_id, account_id, roles) VALUES (?,?,?)",
            (
                (u + 1, f"ACC-{u % n_accounts:06d}", "Portal Admin" if u < n_accounts else "Portal User")
                for u in range(n_users)
            ),
        )
        n_ents = (lines + 3) // 4
        db.executemany(
            "INSERT INTO entitlements(id, entitlement_id, unique_id, sold_to, created, modified) VALUES (?,?,?,?,?,?)",
            (
                (
                    e + 1,
                    f"GEN-{e:07d}",
                    f"HID-E{e:07d}",
                    f"ACC-{e % n_accounts:06d}",
                    _spread_stamp(e),
                    _spread_stamp(e),
                )
                for e in range(n_ents)
            ),
        )
        base_day = GENERATED_BASE.date()

        def line_rows():
            for i in range(lines):
                t = rng.randrange(20)
                kind = ("LIC", "SEAT", "ADD", "LIC")[i % 4]
                yield (
                    f"GEN-{i // 4:07d}-{i % 4 + 1}",
                    f"HID-L{i:07d}",
                    i // 4 + 1,
                    f"T{t:02d}-{kind}",
                    rng.randrange(1, 50),
                    f"PO-{i // 4:07d}",
                    str(i % 4 + 1),
                    (base_day - timedelta(days=rng.randrange(30, 900))).isoformat(),
                    _spread_stamp(i),
                    _spread_stamp(i),
                )

        db.executemany(
            "INSERT INTO line_items(activation_id, unique_id, entitlement, part_id, number_of_copies, order_id, "
            "order_line_number, start_date, is_permanent, created, modified) VALUES (?,?,?,?,?,?,?,?,1,?,?)",
            line_rows(),
        )
        db.execute(
            "INSERT INTO maintenance_items(activation_id, unique_id, entitlement, part_id, parent_activation_id, "
            "start_date, expiration_date, created, modified) "
            "SELECT activation_id || '-M', 'HID-M' || substr(unique_id, 6), entitlement, "
            "substr(part_id, 1, 3) || '-MNT', activation_id, ?, ?, created, modified FROM line_items "
            "WHERE part_id LIKE '%-LIC' AND id % 2 = 0",
            ((base_day - timedelta(days=180)).isoformat(), (base_day + timedelta(days=185)).isoformat()),
        )
        db.execute("COMMIT")
