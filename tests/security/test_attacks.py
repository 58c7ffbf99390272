"""Attacks on the running product, from outside, as the roles that must not get through.

Each attack is a real request over a real protocol (website routes with CSRF tokens,
JSON-RPC, JSON-2 with API keys, XML-RPC) against the Odoo server of the end-to-end world and
its FlexNet simulator. Each prints one line (``refused`` or ``SUCCEEDED``); the run ends with
``N attacks refused, N succeeded`` and fails on any success. ``test_access_matrix`` tries
read/create/write/unlink on every model the addons add or extend, as every role, and compares
each answer with the access rules loaded from the security files.
"""

import concurrent.futures
import re
import secrets
import time
import xmlrpc.client
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
import requests
from _bench_common import web_login
from e2e_world import ATTACK_LINES, DB, SIM_PASSWORD, SIM_USER, SIMULATOR, Json2
from flexnet_client import BasicAuth, FlexNetClient

import odoo
from odoo.modules.registry import Registry

CARLA = "carla@northwind.example.com"  # Northwind Engineering, the demo "customer" portal user
HOSTILE = "c_rla@northwind.example.com"  # an Acme user whose name is a LIKE pattern for Carla's
HOSTILE_PASSWORD = "hostile-" + secrets.token_hex(4)
ACME_ADMIN = "alice.walker@acme.example.com"
VICTIM, VICTIM_EMAIL = "vic.tim", "vic.tim@northwind.example.com"  # a user name that is not an e-mail
PASSWORD = "Attack-" + secrets.token_hex(6)
COOLDOWN_SECONDS = 120  # long enough for the guessing attack, shortened right after it


class Attacks:
    """Records attacks; each one is refused or it succeeded."""

    def __init__(self, klass):
        self.klass = klass
        self.succeeded = []

    def __call__(self, what, refused, detail=""):
        line = f"{'refused' if refused else 'SUCCEEDED'} [{self.klass}] {what}"
        if detail and not refused:
            line += f" ({str(detail)[:200]})"
        ATTACK_LINES.append(line)
        if not refused:
            self.succeeded.append(line)
        return refused

    def verdict(self):
        assert not self.succeeded, "attacks got through:\n" + "\n".join(self.succeeded)


class Web:
    """A browser session on the shop and portal (cookies, CSRF tokens, JSON-RPC)."""

    def __init__(self, base, login=None, password=None):
        self.base = base
        self.session = web_login(base, login, password) if login else requests.Session()
        if login:  # an attack by someone who is not signed in would prove nothing
            assert self.username() == login, f"{login} could not sign in"

    def get(self, path, **kwargs):
        kwargs.setdefault("timeout", 60)
        return self.session.get(self.base + path, **kwargs)

    def csrf(self, path="/web/login"):
        return re.search(r'name="csrf_token" value="([^"]+)"', self.get(path).text)[1]

    def post(self, path, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.csrf()
        kwargs.setdefault("timeout", 60)
        return self.session.post(self.base + path, data=data, **kwargs)

    def jsonrpc(self, path, params):
        response = self.session.post(
            self.base + path, json={"jsonrpc": "2.0", "method": "call", "params": params}, timeout=60
        )
        return (
            response.json()
            if response.headers.get("Content-Type", "").startswith("application/json")
            else {"error": {"http": response.status_code}}
        )

    def call_kw(self, model, method, args=(), kwargs=None):
        """(ok, result or error name) of a JSON-RPC ORM call."""
        answer = self.jsonrpc(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs or {}},
        )
        if "error" in answer:
            data = answer["error"].get("data") or {}
            return False, f"{data.get('name') or answer['error']}: {data.get('message', '')[:300]}"
        return True, answer["result"]

    def username(self):
        info = self.jsonrpc("/web/session/get_session_info", {})
        return (info.get("result") or {}).get("username")

    def partner_id(self):
        info = self.jsonrpc("/web/session/get_session_info", {})
        return (info.get("result") or {}).get("partner_id")


def _confirm(web, page, **kwargs):
    """Press "Continue" on a sign-in confirmation page (its CSRF token and pending id)."""
    form = dict(re.findall(r'name="(csrf_token|pending_id)" value="([^"]+)"', page.text))
    return web.post("/flexnet/sign-in/confirm", form, csrf=False, **kwargs)


def _set_cooldown(admin, seconds):
    """Odoo's failed-login cooldown, set through the server (its caches follow)."""
    admin("ir.config_parameter", "set_param", key="base.login_cooldown_duration", value=str(seconds))


def _fno(sim):
    return FlexNetClient(sim, BasicAuth(SIM_USER, SIM_PASSWORD), timeout=10)


def _sim_calls(sim, operation):
    stats = requests.get(f"{sim}/admin/stats", auth=(SIM_USER, SIM_PASSWORD), timeout=10).json()
    return stats["calls"].get(operation, 0)


@pytest.fixture(scope="module")
def arena(world):
    """The world plus the roles an attacker plays: a second vendor, the other site's station,
    a salesperson without FlexNet rights, an internal user who is also a FlexNet member, and
    FlexNet users with hostile names."""
    base, admin = world["base"], world["admin"]
    store = SIMULATOR["store"]
    [backend_id] = admin("flexnet.backend", "search", domain=[("name", "!=", False)], limit=1)
    # a member whose FlexNet user name is not their e-mail
    with store.lock:
        store.db.execute("BEGIN IMMEDIATE")
        stamp = store.stamp()
        cursor = store.db.execute(
            "INSERT INTO users(unique_id, user_name, first_name, last_name, email, display_name, password,"
            " created, modified) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                secrets.token_hex(8),
                VICTIM,
                "Vic",
                "Tim",
                VICTIM_EMAIL,
                "Vic Tim",
                "victims-own",
                stamp,
                stamp,
            ),
        )
        store.db.execute(
            "INSERT INTO user_accounts(user_id, account_id, roles) VALUES (?, 'NW-0042', 'Portal User')",
            (cursor.lastrowid,),
        )
        store.db.commit()
    admin("flexnet.backend", "sync_all", ids=[backend_id])
    # FlexNet users created after the last sync (not in Odoo yet), with a password no SOAP
    # operation sets: written into FNO's store
    with store.lock:
        store.db.execute("BEGIN IMMEDIATE")
        stamp = store.stamp()
        for name in (HOSTILE, "%@northwind.example.com", VICTIM_EMAIL):  # the last one: a user
            # literally named like the victim's e-mail
            cursor = store.db.execute(
                "INSERT INTO users(unique_id, user_name, first_name, last_name, email, display_name, password,"
                " created, modified) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    secrets.token_hex(8),
                    name,
                    "Mallory",
                    "Hostile",
                    name,
                    "Mallory",
                    HOSTILE_PASSWORD,
                    stamp,
                    stamp,
                ),
            )
            store.db.execute(
                "INSERT INTO user_accounts(user_id, account_id, roles) VALUES (?, 'ACME-001', 'Portal User')",
                (cursor.lastrowid,),
            )
        store.db.commit()

    expires = datetime.now() + timedelta(hours=2)
    handles = dict(world, backend_id=backend_id)
    with Registry(DB).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        Users = env["res.users"].with_context(no_reset_password=True, active_test=False)

        def user(vals):  # the same roles when the suite runs again on a kept database
            found = Users.search([("login", "=", vals["login"])])
            if found and "password" in vals:
                found.password = vals["password"]
            return found or Users.create(vals)

        us_station = user(
            {
                "name": "US1 station (attack)",
                "login": "attack-station-us1",
                "group_ids": [(6, 0, [env.ref("media_production.group_media_station").id])],
            }
        )
        env.ref("media_production.site_demo_default").station_user_id = us_station
        handles["us_station"] = Json2(
            base, env["res.users.apikeys"].with_user(us_station)._generate(None, "attack", expires)
        )
        handles["us_station_key"] = handles["us_station"].session.headers["Authorization"].split()[1]
        vendor2 = env["res.partner"].search([("name", "=", "Other Vendor Ltd")]) or env["res.partner"].create(
            {"name": "Other Vendor Ltd", "is_company": True}
        )
        user(
            {
                "name": "Olga Othervendor",
                "login": "vendor2",
                "password": PASSWORD,
                "parent_id": vendor2.id,
                "group_ids": [(6, 0, [env.ref("base.group_portal").id])],
            }
        )
        user(
            {
                "name": "Sam Salesonly",
                "login": "salesonly",
                "password": PASSWORD,
                "group_ids": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        # a FlexNet member contact that belongs to an internal user
        bob = env["res.partner"].search([("flexnet_user_name", "=", "bob.nguyen@acme.example.com")])
        user(
            {
                "name": bob.name,
                "login": "bob-internal",
                "password": PASSWORD,
                "partner_id": bob.id,
                "group_ids": [(6, 0, [env.ref("base.group_user").id])],
            }
        )
        # a second FlexNet backend, with a link secret of its own
        handles["other_backend_id"] = (
            env["flexnet.backend"].browse(backend_id).copy({"name": "Other FNO (attack)"}).id
        )
        # a quotation of another account
        acme = env["res.partner"].search([("flexnet_account_id", "=", "ACME-001")])
        license_product = env["product.product"].search([("default_code", "=", "CADS-PRO-LIC")])
        handles["acme_order"] = (
            env["sale.order"]
            .create({"partner_id": acme.id, "order_line": [(0, 0, {"product_id": license_product.id})]})
            .id
        )
        grace = env["res.partner"].search([("flexnet_user_name", "=", "grace@globex.example.com")])
        user(
            {
                "name": grace.name,
                "login": "glx-attack",
                "password": PASSWORD,
                "partner_id": grace.id,
                "group_ids": [(6, 0, [env.ref("base.group_portal").id])],
            }
        )
        cr.commit()
    return handles


# --- 1. the media-kit link and its forms ------------------------------------------------------


def _link(
    arena,
    part="CADS-MEDIA-DVD",
    email="dev.patel@northwind.example.com",
    account="NW-0042",
    backend_id=None,
    name_override=None,
    **kw,
):
    """A link signed as FlexNet's download page signs it (with the backend's secret)."""
    with Registry(DB).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        backend = env["flexnet.backend"].browse(backend_id or arena["backend_id"])
        url = backend._media_link_url(account, email, name_override or "Dev Patel", part, **kw)
    return url


def _orders(arena, **domain):
    return arena["admin"]("sale.order", "search_count", domain=[[k, "=", v] for k, v in domain.items()])


def test_media_kit_link_attacks(arena):
    attack = Attacks("media-kit link")
    base = arena["base"]

    # the reported attack: a genuine link to a priced kit, then the free-kit form posted directly
    # (the sign-in's redirect to the cart is not followed, as the attacker did)
    ship_to = {
        "name": "Dev",
        "street": "1 Dock Road",
        "city": "Bristol",
        "zip": "BS1",
        "country_id": "1",
        "phone": "+44 117 496 0043",
    }
    confirmed_before = _orders(arena, state="sale")
    member = Web(base)
    _confirm(member, member.get(_link(arena)), allow_redirects=False)
    response = member.post("/flexnet/media-kit/ship", ship_to)
    attack(
        "priced kit ordered at 0.00 by posting the free-kit ship form (link opened signed out)",
        response.status_code == 403
        and "order it from the cart" in response.text
        and _orders(arena, state="sale") == confirmed_before,
        response.status_code,
    )
    member.get(_link(arena), allow_redirects=False)  # signed in now: the link goes to /continue
    response = member.post("/flexnet/media-kit/ship", ship_to)
    attack(
        "priced kit ordered at 0.00 by posting the free-kit ship form (link opened signed in)",
        response.status_code == 403 and _orders(arena, state="sale") == confirmed_before,
        response.status_code,
    )
    free_priced = arena["admin"](
        "sale.order.line",
        "search_count",
        domain=[
            ("product_id.default_code", "=", "CADS-MEDIA-DVD"),
            ("price_unit", "=", 0),
            ("state", "=", "sale"),
        ],
    )
    attack("a priced kit confirmed at 0.00 exists", free_priced == 0, free_priced)
    dev = Web(base, "customer", "customer")
    # ship form without any pending link
    response = dev.post(
        "/flexnet/media-kit/ship", {"name": "x", "street": "x", "city": "x", "zip": "x", "country_id": "1"}
    )
    attack("ship form without an opened link", "o_flexnet_error" in response.text, response.status_code)
    # ship form without CSRF token
    response = dev.session.post(f"{base}/flexnet/media-kit/ship", data={"name": "x"}, timeout=30)
    attack("ship form without CSRF token", response.status_code in (400, 403), response.status_code)
    # public visitor posts the ship form
    visitor = Web(base)
    response = visitor.post("/flexnet/media-kit/ship", {"name": "x"}, allow_redirects=False)
    attack("ship form as public visitor", response.status_code in (303, 302, 400, 403), response.status_code)

    def refused_link(what, url, web=None, text=None):
        web = web or Web(base)
        response = web.get(url)
        ok = response.status_code in (400, 403, 404) and "o_flexnet_error" in response.text
        if text:
            ok = ok and text in response.text
        attack(what, ok and web.username() in (None, False, "public"), response.status_code)

    genuine = _link(arena)
    refused_link("forged part number", genuine.replace("part=CADS-MEDIA-DVD", "part=DVS-MEDIA-DVD"))
    refused_link("non-ASCII signature", re.sub(r"sig=[^&]+", "sig=%C3%A9%C3%A9", genuine))
    refused_link("expired link", _link(arena, ts=int(time.time()) - 86400 * 2))
    refused_link("link from the future", _link(arena, ts=int(time.time()) + 86400))
    used = _link(arena)
    Web(base).get(used)
    refused_link("replayed link", used)
    refused_link(
        "other account's member",
        _link(arena, email=CARLA.replace("carla", "grace").replace("northwind", "globex")),
    )
    refused_link("kit the account is not entitled to", _link(arena, part="SIMF-MEDIA-USB"))
    refused_link("member of another account", _link(arena, email=ACME_ADMIN))
    refused_link("pattern as member e-mail", _link(arena, email="%@northwind.example.com"))
    refused_link(
        "link signed with another backend's secret",
        _link(arena, backend_id=arena["other_backend_id"]).replace(
            f"backend={arena['other_backend_id']}", f"backend={arena['backend_id']}"
        ),
    )
    refused_link(
        "link for a backend that does not exist",
        genuine.replace(f"backend={arena['backend_id']}", "backend=999999"),
    )
    refused_link(
        "line break smuggled into a signed field", _link(arena, name_override="Dev\npart=DVS-MEDIA-DVD")
    )
    refused_link("incomplete link", "/flexnet/media-kit?backend=1&account=NW-0042")
    refused_link("timestamp centuries ahead, genuinely signed", _link(arena, ts=10**400))
    refused_link("negative timestamp, genuinely signed", _link(arena, ts=-5))

    # login CSRF: opening a link signs nobody in
    victim = Web(base)
    victim.get(_link(arena))
    attack("link GET signs the visitor in", victim.username() in (None, False, "public"), victim.username())
    # confirming without the form's CSRF token, or with nothing pending
    response = victim.session.post(f"{base}/flexnet/sign-in/confirm", data={}, timeout=30)
    attack(
        "sign-in confirmation without CSRF",
        victim.username() in (None, False, "public"),
        response.status_code,
    )
    response = Web(base).post("/flexnet/sign-in/confirm")
    attack("sign-in confirmation with nothing pending", response.status_code == 403, response.status_code)
    # the attacker's own genuine link opened in the victim's browser while the victim's
    # confirmation page is on screen: the victim's "Continue" no longer signs anyone in
    victim = Web(base)
    victims_page = victim.get(_link(arena))
    victim.get(_link(arena, email=CARLA))  # another Northwind member's genuine link
    _confirm(victim, victims_page)
    attack(
        "pending sign-in swapped under the victim's confirmation page",
        victim.username() in (None, False, "public"),
        victim.username(),
    )
    # a free kit's form posted twice at once: one order
    free = Web(base)
    _confirm(free, free.get(_link(arena, part="DVS-MEDIA-DVD")), allow_redirects=False)
    ship_to = {
        "name": "Dev",
        "street": "1 Dock Road",
        "city": "Bristol",
        "zip": "BS1",
        "country_id": "1",
        "phone": "+44 117 496 0043",
    }
    form = dict(ship_to, csrf_token=free.csrf())
    before = _orders(arena, state="sale")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _i: free.session.post(f"{base}/flexnet/media-kit/ship", data=form, timeout=60),
                range(4),
            )
        )
    placed = _orders(arena, state="sale") - before
    attack(
        "one free-kit link posted four times at once places several orders",
        placed <= 1,
        (placed, [a.status_code for a in answers]),
    )
    # a link opened while signed in as somebody else
    carla = Web(base, "customer", "customer")
    response = carla.get(_link(arena))
    attack("link for another member while signed in", response.status_code == 403, response.status_code)
    attack.verdict()


# --- 2. signing in as somebody else -----------------------------------------------------------


def test_sign_in_attacks(arena):
    attack = Attacks("sign-in")
    base, sim = arena["base"], arena["sim"]
    fno = _fno(sim)

    for name in (HOSTILE, "%@northwind.example.com"):
        web = Web(base)
        page = web.get("/web/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        web.session.post(
            f"{base}/web/login",
            data={"login": name, "password": HOSTILE_PASSWORD, "csrf_token": token},
            timeout=60,
        )
        # not in Odoo yet: nobody is signed in (a pattern match would open a Northwind member's
        # session); once synced, only the hostile user's own
        attack(
            f"password login as {name!r} opens another member's session",
            web.username() in (None, False, "public", name),
            web.username(),
        )
        # the hand-off: a genuine FlexNet token of the hostile user
        web = Web(base)
        response = web.get("/flexnet/sso?" + urlencode({"token": fno.get_secure_token(name), "user": name}))
        if "o_flexnet_sign_in_confirm" in response.text:
            _confirm(web, response)
        attack(
            f"sign-on hand-off as {name!r} opens another member's session",
            web.username() in (None, False, "public", name),
            web.username(),
        )

    # a FlexNet user named like the victim's e-mail, with the attacker's password
    web = Web(base)
    token = web.csrf()
    web.session.post(
        f"{base}/web/login",
        data={"login": VICTIM_EMAIL, "password": HOSTILE_PASSWORD, "csrf_token": token},
        timeout=60,
    )
    [victim] = arena["admin"]("res.partner", "search", domain=[("flexnet_user_name", "=", VICTIM)])
    attack(
        "FlexNet user named like a member's e-mail signs in as that member",
        web.partner_id() != victim,
        web.username(),
    )
    web = Web(base)
    response = web.get(
        "/flexnet/sso?" + urlencode({"token": fno.get_secure_token(VICTIM_EMAIL), "user": VICTIM_EMAIL})
    )
    if "o_flexnet_sign_in_confirm" in response.text:
        _confirm(web, response)
    attack("hand-off of a user named like a member's e-mail", web.partner_id() != victim, web.username())
    # a member contact of an internal user never signs in through FlexNet
    web = Web(base)
    token = web.csrf()
    web.session.post(
        f"{base}/web/login",
        data={"login": "bob.nguyen@acme.example.com", "password": "flexnet", "csrf_token": token},
        timeout=60,
    )
    attack(
        "FlexNet password opens an internal user's session", web.username() != "bob-internal", web.username()
    )

    # the hand-off: replayed, tampered, issued for someone else, and sign-in on the GET
    token = fno.get_secure_token(CARLA)
    web = Web(base)
    web.get("/flexnet/sso?" + urlencode({"token": token, "user": CARLA}))
    attack("hand-off GET signs the visitor in", web.username() in (None, False, "public"), web.username())
    for what, token_value, user in (
        ("replayed hand-off token", token, CARLA),
        ("tampered hand-off token", fno.get_secure_token(CARLA)[:-2] + "xx", CARLA),
        ("hand-off token of another user", fno.get_secure_token(ACME_ADMIN), CARLA),
    ):
        web = Web(base)
        response = web.get("/flexnet/sso?" + urlencode({"token": token_value, "user": user}))
        attack(
            what,
            response.status_code == 403 and "o_flexnet_sign_in_confirm" not in response.text,
            response.status_code,
        )
    web = Web(base)
    response = web.get(
        "/flexnet/sso?"
        + urlencode({"token": fno.get_secure_token(CARLA), "user": CARLA, "redirect": "//evil.example.com/x"})
    )
    response = _confirm(web, response, allow_redirects=False)
    attack(
        "open redirect after sign-on",
        "evil" not in response.headers.get("Location", ""),
        response.headers.get("Location"),
    )

    # password guessing through the FlexNet login: Odoo's cooldown holds FlexNet back too
    _set_cooldown(arena["admin"], COOLDOWN_SECONDS)
    allowed = int(arena["admin"]("ir.config_parameter", "get_param", key="base.login_cooldown_after") or 5)
    guesses = allowed + 7
    guesser = Web(base)
    before = _sim_calls(sim, "authenticateUser")
    for attempt in range(guesses):
        token = guesser.csrf()
        guesser.session.post(
            f"{base}/web/login",
            data={"login": ACME_ADMIN, "password": f"guess-{attempt}", "csrf_token": token},
            timeout=60,
        )
    asked = _sim_calls(sim, "authenticateUser") - before
    # Odoo's cooldown starts after `allowed` failures from one address: FlexNet hears no more
    attack(f"{guesses} password guesses reach FlexNet past Odoo's cooldown", 0 < asked <= allowed, asked)
    attack("password guessing signed in", guesser.username() in (None, False, "public"), guesser.username())
    _set_cooldown(arena["admin"], 1)  # the cooldown ends for the attacks that follow
    time.sleep(2)
    attack.verdict()


# --- 3. what other accounts own ---------------------------------------------------------------


def test_portal_data_attacks(arena):
    attack = Attacks("portal data")
    base, admin = arena["base"], arena["admin"]
    carla = Web(base, "customer", "customer")
    acme = admin("res.partner", "search", domain=[("flexnet_account_id", "=", "ACME-001")])
    acme_lines = admin("flexnet.entitlement.line", "search", domain=[("partner_id", "in", acme)])
    acme_ents = admin("flexnet.entitlement", "search", domain=[("partner_id", "in", acme)])
    assert acme_lines and acme_ents, "the demo gives Acme entitlements"

    ok, rows = carla.call_kw("flexnet.entitlement", "search_read", [[]], {"fields": ["partner_id"]})
    attack("list other accounts' entitlements", ok and not {r["id"] for r in rows} & set(acme_ents), rows)
    ok, _rows = carla.call_kw("flexnet.entitlement.line", "read", [acme_lines[:1], ["activation_id"]])
    attack("read another account's entitlement line by id", not ok, _rows)
    ok, rows = carla.call_kw(
        "flexnet.entitled.product", "search_read", [[["partner_id", "in", acme]]], {"fields": ["product_id"]}
    )
    attack("read another account's entitled products", not ok or rows == [], rows)
    for field in ("flexnet_entitled_ids.partner_id", "product_variant_ids.flexnet_entitled_ids.partner_id"):
        ok, count = carla.call_kw("product.template", "search_count", [[[field, "in", acme]]])
        attack(f"enumerate Acme's products through {field}", not ok, count)
    ok, rows = carla.call_kw(
        "product.template",
        "search_read",
        [[["name", "ilike", "SimFlow CFD"]]],
        {"fields": ["name", "list_price"]},
    )
    attack("read a gated product's name and price over RPC", ok and rows == [], rows)
    [cfd] = admin(
        "product.product",
        "search_read",
        domain=[("default_code", "=", "SIMF-CFD")],
        fields=["id", "product_tmpl_id"],
    )
    combination = {
        "product_template_id": cfd["product_tmpl_id"][0],
        "product_id": cfd["id"],
        "combination": [],
        "add_qty": 1,
    }
    answer = carla.jsonrpc("/website_sale/get_combination_info", combination)
    attack(
        "combination info of a gated product",
        "error" in answer,
        answer.get("result", {}).get("price") if isinstance(answer.get("result"), dict) else answer,
    )
    response = carla.get(f"/shop/{cfd['product_tmpl_id'][0]}")
    attack("product page of a gated product", response.status_code in (403, 404), response.status_code)
    answer = carla.jsonrpc(
        "/shop/cart/add",
        {"product_template_id": cfd["product_tmpl_id"][0], "product_id": cfd["id"], "quantity": 1},
    )
    attack("add a gated product to the cart", "error" in answer, answer)
    visitor = Web(base)
    answer = visitor.jsonrpc("/website_sale/get_combination_info", combination)
    attack("combination info of a gated product as public visitor", "error" in answer, answer)
    acme_orders = [arena["acme_order"]]
    ok, _r = carla.call_kw("sale.order", "read", [acme_orders, ["name"]])
    attack("read another account's order", not ok, _r)
    response = carla.get(f"/my/orders/{acme_orders[0]}")
    attack(
        "open another account's order page",
        response.status_code in (403, 404) or ("/my" in response.url and "Acme" not in response.text),
        response.status_code,
    )
    page = carla.get("/my/entitlements").text
    attack("My entitlements lists another account", "ENT-ACME" not in page, "ENT-ACME")
    response = carla.get(f"/my/entitlements/{acme_lines[0]}")
    attack(
        "open another account's entitlement line page",
        response.status_code in (403, 404) or "ENT-ACME" not in response.text,
        response.status_code,
    )
    own = admin("flexnet.entitlement", "search", domain=[("account_id", "=", "NW-0042")], limit=1)
    ok, _r = carla.call_kw("flexnet.entitlement", "write", [own, {"state": "DEPLOYED"}])
    attack("write own entitlement", not ok, _r)
    for model, what in (
        ("flexnet.backend", "read the FlexNet backend (credentials)"),
        ("flexnet.store.nonce", "read used link nonces"),
        ("media.production.job", "read production jobs"),
        ("flexnet.sync.run", "read sync runs"),
        ("maintenance.renewal.campaign", "read renewal campaigns"),
    ):
        ok, rows = carla.call_kw(model, "search_read", [[]], {"fields": ["id"], "limit": 1})
        attack(what, not ok or rows == [], rows)
    ok, _r = carla.call_kw("res.users", "_flexnet_member", [CARLA])
    attack("call a private method over RPC", not ok, _r)
    ok, _r = carla.call_kw("media.production.job", "station_claim", [], {"limit": 1})
    attack("claim production jobs as a customer", not ok, _r)
    ok, _r = carla.call_kw("sale.order", "_flexnet_order_free_media_kit", [0, 0, {}])
    attack("call the free-kit order method over RPC", not ok, _r)
    # XML-RPC with the portal user's password
    common = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/common")
    uid = common.authenticate(DB, "customer", "customer", {})
    objects = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/object", allow_none=True)
    try:
        rows = objects.execute_kw(
            DB,
            uid,
            "customer",
            "flexnet.entitlement.line",
            "search_read",
            [[["partner_id", "in", acme]]],
            {"fields": ["activation_id"]},
        )
        attack("XML-RPC: another account's entitlement lines", rows == [], rows)
    except xmlrpc.client.Fault:
        attack("XML-RPC: another account's entitlement lines", True)
    try:
        rows = objects.execute_kw(
            DB,
            uid,
            "customer",
            "product.template",
            "search_read",
            [[["name", "=", "SimFlow CFD Solver"]]],
            {"fields": ["list_price"]},
        )
        attack("XML-RPC: a gated product's price", rows == [], rows)
    except xmlrpc.client.Fault:
        attack("XML-RPC: a gated product's price", True)
    attack.verdict()


# --- 4. production stations -------------------------------------------------------------------


def test_station_attacks(arena):
    attack = Attacks("stations")
    admin, sales, eu, us = arena["admin"], arena["sales"], arena["station"], arena["us_station"]
    # an order produced at the EU site
    [northwind] = admin("res.partner", "search", domain=[("flexnet_account_id", "=", "NW-0042")])
    [kit] = admin("product.product", "search", domain=[("default_code", "=", "CADS-MEDIA-DVD")])
    [site_eu] = admin("media.production.site", "search", domain=[("code", "=", "EU1")])
    order_id = sales(
        "sale.order",
        "create",
        vals_list=[
            {"partner_id": northwind, "order_line": [(0, 0, {"product_id": kit, "product_uom_qty": 1})]}
        ],
    )[0]
    sales("sale.order", "action_confirm", ids=[order_id])
    [job] = admin(
        "media.production.job",
        "search_read",
        domain=[("order_id", "=", order_id)],
        fields=["id", "site_id", "manifest_line_ids"],
    )
    if job["site_id"][0] != site_eu:
        admin("media.production.job", "action_cancel", ids=[job["id"]])
        pytest.fail(f"the demo routing sent {job} elsewhere than EU1")
    job_id, file_ids = job["id"], job["manifest_line_ids"]

    response = us.call(
        "media.production.job.file", "search_read", domain=[("job_id", "=", job_id)], fields=["path", "url"]
    )
    attack(
        "US station lists the manifest of an EU job",
        response.status_code != 200 or response.json() == [],
        response.text[:200],
    )
    response = us.call("media.production.job.file", "read", ids=file_ids, fields=["path", "url"])
    attack("US station reads EU manifest lines by id", response.status_code == 403, response.status_code)
    response = us.call("media.production.job", "read", ids=[job_id], fields=["name"])
    attack("US station reads an EU job", response.status_code == 403, response.status_code)
    for method, params in (
        ("station_package", {"job_id": job_id}),
        ("station_label_pdf", {"job_id": job_id}),
        ("station_progress", {"job_id": job_id, "state": "staging"}),
        ("station_report_success", {"job_id": job_id, "copies": 1}),
        ("station_report_failure", {"job_id": job_id, "reason": "not mine"}),
    ):
        response = us.call("media.production.job", method, **params)
        attack(f"US station calls {method} on an EU job", response.status_code == 403, response.status_code)
    for method, params in (
        ("station_report_failure", {"job_id": job_id, "reason": "never claimed"}),
        ("station_progress", {"job_id": job_id, "state": "producing"}),
        ("station_report_failure", {"job_id": True, "reason": "boolean id"}),
    ):
        response = eu.call("media.production.job", method, **params)
        attack(
            f"own site's station calls {method} on a queued job without a lease",
            response.status_code in (403, 422),
            response.status_code,
        )
    [state] = admin("media.production.job", "read", ids=[job_id], fields=["state"])
    attack("queued job changed by reports without a lease", state["state"] == "queued", state)
    packages = eu("media.production.job", "station_claim", station="eu-attack", limit=10)
    lease = next(p["lease"] for p in packages if p["id"] == job_id)
    response = us.call("media.production.job", "station_heartbeat", leases={str(job_id): lease})
    attack(
        "US station renews an EU lease it learnt",
        response.status_code == 403 or response.json() == [],
        response.text[:100],
    )
    response = eu.call(
        "media.production.job", "station_report_success", job_id=job_id, copies=1, lease="forged"
    )
    attack("EU station reports with a forged lease", response.status_code == 403, response.status_code)
    response = eu.call("media.production.job", "station_claim", lease_seconds=10**9)
    attack("lease without bound", response.status_code == 422, response.status_code)
    response = eu.call(
        "media.production.job", "station_heartbeat", leases={str(job_id): lease}, lease_seconds=10**9
    )
    attack("heartbeat lease without bound", response.status_code == 422, response.status_code)
    response = eu.call("media.production.job", "station_claim", limit=500)
    attack("claim 500 jobs at once", response.status_code == 422, response.status_code)
    response = eu.call("media.production.job", "write", ids=[job_id], vals={"state": "done"})
    attack("station writes the job state directly", response.status_code == 403, response.status_code)
    for model in ("sale.order", "res.partner", "flexnet.entitlement", "mrp.bom"):
        response = eu.call(model, "search_read", domain=[], fields=["id"], limit=1)
        attack(
            f"station reads {model}",
            response.status_code == 403 or response.json() == [],
            response.text[:100],
        )
    # the file download route: the other site's station
    uploaded = admin("media.production.job.file", "read", ids=file_ids, fields=["file_id"])
    for line in uploaded:
        if line["file_id"]:
            response = requests.get(
                f"{arena['base']}/media_production/files/{line['file_id'][0]}",
                headers={"Authorization": f"bearer {arena['us_station_key']}"},
                timeout=30,
            )
            attack(
                "US station downloads an EU job's title file",
                response.status_code in (403, 404),
                response.status_code,
            )
    response = requests.get(f"{arena['base']}/media_production/files/1", timeout=30)
    attack("title file without an API key", response.status_code in (401, 403), response.status_code)
    eu("media.production.job", "station_release", leases={str(p["id"]): p["lease"] for p in packages})
    attack.verdict()


# --- 5. vendors -------------------------------------------------------------------------------


def test_vendor_attacks(arena):
    attack = Attacks("vendors")
    base, admin = arena["base"], arena["admin"]
    other = Web(base, "vendor2", PASSWORD)
    customer = Web(base, "customer", "customer")
    boms = admin(
        "mrp.bom",
        "search_read",
        domain=[("bom_document_ids", "!=", False)],
        fields=["id", "bom_document_ids"],
        limit=1,
    )
    [bom] = boms
    revisions = admin("mrp.bom.document.revision", "search", domain=[("bom_id", "=", bom["id"])], limit=1)
    for who, web in (("vendor of another BOM", other), ("customer", customer)):
        response = web.get(f"/my/boms/{bom['id']}")
        attack(f"{who} opens a BOM page", response.status_code in (403, 404), response.status_code)
        response = web.get(f"/my/boms/{bom['id']}/revisions/{revisions[0]}/download")
        attack(f"{who} downloads a BOM document", response.status_code in (403, 404), response.status_code)
        response = web.get(f"/my/boms/{bom['id']}/download-all")
        attack(
            f"{who} downloads every document of a BOM",
            response.status_code in (403, 404),
            response.status_code,
        )
        ok, rows = web.call_kw("mrp.bom", "search_read", [[]], {"fields": ["id"]})
        attack(f"{who} lists BOMs over RPC", not ok or rows == [], rows)
        ok, rows = web.call_kw("mrp.bom.document.revision", "search_read", [[]], {"fields": ["checksum_md5"]})
        attack(f"{who} lists document revisions over RPC", not ok or rows == [], rows)
    # access follows a removed site at once
    vendor = Web(base, "vendor", "vendor")
    visible = vendor.get(f"/my/boms/{bom['id']}").status_code
    with Registry(DB).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        temp_site = env["media.production.site"].create({"name": "Temporary site", "code": "TMP1"})
        temp_bom = env["mrp.bom"].browse(bom["id"]).copy({"production_site_ids": [(6, 0, temp_site.ids)]})
        vendor2 = env["res.partner"].search([("name", "=", "Other Vendor Ltd")])
        vendor2.bom_vendor_site_ids = [(4, temp_site.id)]
        cr.commit()
        seen = other.get(f"/my/boms/{temp_bom.id}").status_code
        temp_site.unlink()
        cr.commit()
    after = other.get(f"/my/boms/{temp_bom.id}").status_code
    attack("vendor keeps a BOM after its site is deleted", seen == 200 and after in (403, 404), (seen, after))
    with Registry(DB).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        parent = env["product.category"].create({"name": "Vendor-visible parent"})
        child = env["product.category"].create({"name": "Moved child", "parent_id": parent.id})
        product = env["mrp.bom"].browse(temp_bom.id).product_tmpl_id
        product.categ_id = child
        env["res.partner"].search([("name", "=", "Other Vendor Ltd")]).bom_vendor_categ_ids = [
            (6, 0, parent.ids)
        ]
        cr.commit()
        seen = other.get(f"/my/boms/{temp_bom.id}").status_code
        child.parent_id = False
        cr.commit()
    after = other.get(f"/my/boms/{temp_bom.id}").status_code
    attack(
        "vendor keeps a BOM after its category moves away", seen == 200 and after in (403, 404), (seen, after)
    )
    with Registry(DB).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        top = env["product.category"].create({"name": "Vendor-visible top"})
        doomed = env["product.category"].create({"name": "Deleted with its products", "parent_id": top.id})
        env["mrp.bom"].browse(temp_bom.id).product_tmpl_id.categ_id = doomed
        env["res.partner"].search([("name", "=", "Other Vendor Ltd")]).bom_vendor_categ_ids = [
            (6, 0, top.ids)
        ]
        cr.commit()
        seen = other.get(f"/my/boms/{temp_bom.id}").status_code
        doomed.unlink()  # its products fall back to no category, out of the vendor's one
        cr.commit()
    after = other.get(f"/my/boms/{temp_bom.id}").status_code
    attack(
        "vendor keeps a BOM after its product's category is deleted",
        seen == 200 and after in (403, 404),
        (seen, after),
    )
    attack("the assigned vendor still sees its own BOM", visible == 200, visible)
    attack.verdict()


# --- 6. back office without FlexNet rights ----------------------------------------------------


def test_salesperson_without_flexnet_rights(arena):
    attack = Attacks("salesperson without FlexNet rights")
    sam = Web(arena["base"], "salesonly", PASSWORD)
    backend_id = arena["backend_id"]
    for what, call in (
        ("read the backend's password", ("flexnet.backend", "read", [[backend_id], ["password"]])),
        (
            "read the media-kit link secret",
            ("flexnet.backend", "read", [[backend_id], ["media_link_secret"]]),
        ),
        ("run a FlexNet sync", ("flexnet.backend", "sync_all", [[backend_id]])),
        ("write an entitlement", ("flexnet.entitlement", "write", [[1], {"state": "OBSOLETE"}])),
        ("create a production site", ("media.production.site", "create", [{"name": "x", "code": "X"}])),
        ("read the station's lease secret", ("media.production.job", "search_read", [[], ["lease_token"]])),
    ):
        ok, result = sam.call_kw(*call)
        attack(what, not ok or result == [], result)
    attack.verdict()


# --- 7. an entitlement that moves to another account ------------------------------------------


def test_transferred_entitlement_stops_opening_the_shop(arena):
    attack = Attacks("entitlement transfer")
    admin, base = arena["admin"], arena["base"]
    store = SIMULATOR["store"]
    glx_member = Web(base, "glx-attack", PASSWORD)
    [cfd] = admin(
        "product.product",
        "search_read",
        domain=[("default_code", "=", "SIMF-CFD")],
        fields=["id", "product_tmpl_id"],
    )
    cart_add = {"product_template_id": cfd["product_tmpl_id"][0], "product_id": cfd["id"], "quantity": 1}
    before = glx_member.jsonrpc("/shop/cart/add", cart_add)
    assert "error" not in before, (
        f"Globex must be able to buy its SimFlow add-on before the transfer: {before}"
    )
    # Globex's SimFlow entitlement moves to Initech in FlexNet
    with store.lock:
        store.db.execute("BEGIN IMMEDIATE")
        stamp = store.stamp()
        moved = store.db.execute(
            "UPDATE entitlements SET sold_to = 'INI-220', modified = ? WHERE sold_to = 'GLX-017'", (stamp,)
        ).rowcount
        store.db.commit()
    admin("flexnet.backend", "sync_all", ids=[arena["backend_id"]])
    [glx] = admin("res.partner", "search", domain=[("flexnet_account_id", "=", "GLX-017")])
    left = admin("flexnet.entitlement.line", "search_count", domain=[("partner_id", "=", glx)])
    entitled = admin("flexnet.entitled.product", "search_count", domain=[("partner_id", "=", glx)])
    assert moved, "the demo has no Globex entitlement to transfer"
    attack("old owner keeps the entitlement lines", left == 0, left)
    attack("old owner keeps opening the shop", entitled == 0, entitled)
    answer = glx_member.jsonrpc("/shop/cart/add", cart_add)
    attack("old owner's member adds the moved add-on to the cart", "error" in answer, answer)
    attack.verdict()


# --- the access matrix ------------------------------------------------------------------------

ROLES = {
    "customer (portal)": ("customer", "customer"),
    "vendor (portal)": ("vendor", "vendor"),
    "salesperson without FlexNet rights": ("salesonly", PASSWORD),
    "sales user": ("sales", "sales"),
    "renewal manager": ("manager", "manager"),
}
OPERATIONS = ("read", "create", "write", "unlink")


def test_access_matrix(arena):
    """Every model the addons add or extend, every role, every operation, as a real call.

    ``search_count`` for read, ``create`` with a field no model has (refused before anything
    is written), ``write`` of nothing on an existing record, ``unlink`` of an id that does not
    exist: none changes data. The answer of the ORM's access-rights check ("You are not
    allowed to ...") must come exactly when no access line of the role's groups grants the
    operation. A call that a model's own code refuses earlier for another reason (a missing
    record, a check of its own) proves nothing either way and is counted as inconclusive;
    record rules are tried by the attacks above."""
    attack = Attacks("access matrix")
    admin, base = arena["admin"], arena["base"]
    ours = ("flexnet_sync", "flexnet_store", "media_production", "bom_vendor_portal", "maintenance_renewal")
    # an ir.model gets an external id in every module that defines or extends the model
    model_ids = admin(
        "ir.model.data",
        "search_read",
        domain=[("module", "in", ours), ("model", "=", "ir.model")],
        fields=["res_id"],
    )
    models = admin(
        "ir.model",
        "read",
        ids=sorted({row["res_id"] for row in model_ids}),
        fields=["model", "transient", "abstract"],
    )
    models = sorted(m["model"] for m in models if not m["transient"] and not m["abstract"])
    missing = 2**31 - 1
    existing = {
        model: (admin(model, "search", domain=[], limit=1, context={"active_test": False}) or [missing])[0]
        for model in models
    }
    probes = {
        "read": lambda web, model: web.call_kw(model, "search_count", [[]]),
        "create": lambda web, model: web.call_kw(model, "create", [{"__access_probe__": 1}]),
        "write": lambda web, model: web.call_kw(model, "write", [[existing[model]], {}]),
        "unlink": lambda web, model: web.call_kw(model, "unlink", [[missing]]),
    }
    conclusive = inconclusive = 0
    for role, (login, password) in ROLES.items():
        web = Web(base, login, password)
        [user] = admin("res.users", "search_read", domain=[("login", "=", login)], fields=["all_group_ids"])
        groups = set(user["all_group_ids"])
        for model in models:
            acl = admin(
                "ir.model.access",
                "search_read",
                domain=[("model_id.model", "=", model), ("active", "=", True)],
                fields=["group_id", "perm_read", "perm_create", "perm_write", "perm_unlink"],
            )
            for operation, probe in probes.items():
                allowed = any(
                    row[f"perm_{operation}"] and (not row["group_id"] or row["group_id"][0] in groups)
                    for row in acl
                )
                ok, result = probe(web, model)
                # the access-rights answer about this model (not one the model's code went on to)
                refused_by_acl = (
                    not ok and "You are not allowed to" in result and f"({model}) records" in result
                )
                what = f"{role}: {operation} {model} (the access files say {'yes' if allowed else 'no'})"
                if allowed and refused_by_acl:
                    attack(f"{what}: refused", False, result)
                elif not allowed and ok and operation != "unlink":
                    attack(f"{what}: done", False, result)
                elif refused_by_acl or (allowed and (ok or "You are not allowed to" not in result)):
                    conclusive += 1
                else:
                    inconclusive += 1
    ATTACK_LINES.append(
        f"refused [access matrix] {len(models)} models x {len(ROLES)} roles x 4 operations: {conclusive} calls"
        f" answered as the access files say, {inconclusive} stopped earlier by the model's own checks"
    )
    attack.verdict()
