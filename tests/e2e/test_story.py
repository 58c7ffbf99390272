"""The whole story, driven like real clients: FlexNet simulator, Odoo server, station, robot.

A database with the five addons and their demo data (``E2E_DB``; ``make test`` passes the one
its Odoo run installed) is prepared in-process (API keys, the backend pointed at a fresh
simulator, a title file), then an Odoo server is started on a free port with ``queue_job``
and everything else happens over HTTP: Odoo's JSON-2 API, the web shop and portal pages,
the FlexNet sign-on hand-off, the station program and the simulator's SOAP services.
"""

import base64
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta

import pytest
import requests
from flexnet_client import BasicAuth, FlexNetClient

import odoo
from odoo.modules.registry import Registry
from odoo.tools import config

from flexnet_simulator import Simulator, Store, serve
from flexnet_simulator.data import DEMO_ENTITLEMENTS, load_demo
from media_station.robot_simulator import RobotSimulator

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))

from _bench_common import db_args, free_port  # noqa: E402  (database options and ports, as the benchmarks)

DB = os.environ.get("E2E_DB")
SIM_USER, SIM_PASSWORD = "admin", "admin"
MEMBER = "dev.patel@northwind.example.com"  # a Northwind Engineering end user in FlexNet
pytestmark = pytest.mark.skipif(not DB, reason="E2E_DB names the database make test prepared")


class Json2:
    """Odoo 19's external JSON-2 API with a bearer API key."""

    def __init__(self, base, key):
        self.base = base
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {key}", "X-Odoo-Database": DB})

    def __call__(self, model, method, **params):
        response = self.session.post(f"{self.base}/json/2/{model}/{method}", json=params, timeout=120)
        if response.status_code != 200:
            raise AssertionError(f"{model}.{method}: HTTP {response.status_code} {response.text[:500]}")
        return response.json()


def _wait(what, check, timeout=90, step=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def simulator():
    store = Store(":memory:")
    load_demo(store)
    sim = Simulator(store, SIM_USER, SIM_PASSWORD, ("e2e-token",))
    server = serve(sim, "127.0.0.1", 0)
    host, port = server.server_address
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def story(simulator, tmp_path_factory):
    """Prepare the database (committed), then start Odoo on it; yields the handles."""
    config.parse_config(["-d", DB, "--addons-path", str(ROOT / "addons"), *db_args()])
    registry = Registry(DB)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    keys = {}
    setup_bytes = os.urandom(300_000)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        # the address the stations download title files from
        env["ir.config_parameter"].set_param("web.base.url", base)
        env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
        backend = env.ref("flexnet_sync.flexnet_backend_demo")
        backend.write({"url": simulator, "username": SIM_USER, "password": SIM_PASSWORD, "page_size": 5})
        expires = datetime.now() + timedelta(hours=2)
        for name, xmlid in (
            ("admin", "base.user_admin"),
            ("sales", "flexnet_sync.user_demo_sales"),
            ("manager", "maintenance_renewal.user_demo_manager"),
        ):
            user = env.ref(xmlid)
            keys[name] = env["res.users.apikeys"].with_user(user)._generate(None, f"e2e {name}", expires)
        station_user = env["res.users"].create(
            {
                "name": "EU1 station",
                "login": "e2e-station-eu1",
                "group_ids": [(6, 0, [env.ref("media_production.group_media_station").id])],
            }
        )
        # the web shop's orders go to the demo salesperson, who confirms them
        env["website"].search([]).salesperson_id = env.ref("flexnet_sync.user_demo_sales")
        site = env.ref("media_production.site_demo_eu")
        site.station_user_id = station_user
        keys["station"] = (
            env["res.users.apikeys"].with_user(station_user)._generate(None, "e2e station", expires)
        )
        title_file = env["media.title.file"].create(
            {
                "title": "CAD Studio",
                "name": "setup/cadstudio.exe",
                "version": "2025.3",
                "file": base64.b64encode(setup_bytes),
                "file_name": "cadstudio.exe",
            }
        )
        title_file.action_release()
        cr.commit()
    log = tmp_path_factory.mktemp("odoo") / "odoo.log"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "odoo",
            "server",
            "-d",
            DB,
            "--db-filter",
            f"^{DB}$",
            "--addons-path",
            str(ROOT / "addons"),
            *db_args(),
            "--load",
            "base,web,queue_job",
            "--http-interface",
            "127.0.0.1",
            "--http-port",
            str(port),
            "--workers",
            "0",
            "--max-cron-threads",
            "0",
            "--logfile",
            str(log),
        ],
        env={**os.environ, "ODOO_QUEUE_JOB_CHANNELS": "root:2"},
    )
    try:
        _wait("Odoo to answer", lambda: _answers(base), timeout=120)
        yield {
            "base": base,
            "sim": simulator,
            "admin": Json2(base, keys["admin"]),
            "sales": Json2(base, keys["sales"]),
            "manager": Json2(base, keys["manager"]),
            "station_key": keys["station"],
            "setup_md5": hashlib.md5(setup_bytes).hexdigest(),
            "log": log,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(base):
    try:
        return requests.get(f"{base}/web/login", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _fno(sim):
    return FlexNetClient(sim, BasicAuth(SIM_USER, SIM_PASSWORD), timeout=10)


def test_the_whole_story(story):
    admin, sales, manager, base = story["admin"], story["sales"], story["manager"], story["base"]

    # 1. FlexNet is synchronised into Odoo
    [backend_id] = admin("flexnet.backend", "search", domain=[("name", "!=", False)], limit=1)
    admin("flexnet.backend", "sync_all", ids=[backend_id])
    lines = admin(
        "flexnet.entitlement.line",
        "search_count",
        domain=[("line_type", "=", "entitlement"), ("backend_id", "=", backend_id)],
    )
    assert lines == sum(len(items) for _e, _a, items in DEMO_ENTITLEMENTS)
    [northwind] = admin(
        "res.partner", "search_read", domain=[("flexnet_account_id", "=", "NW-0042")], fields=["id", "name"]
    )
    [sales_user] = admin("res.users", "search", domain=[("login", "=", "sales")])
    admin("res.partner", "write", ids=[northwind["id"]], vals={"user_id": sales_user})  # its account manager

    # 2. a member signs in through the FlexNet hand-off
    token = _fno(story["sim"]).get_secure_token(MEMBER)
    shopper = requests.Session()
    response = shopper.get(
        f"{base}/flexnet/sso", params={"token": token, "user": MEMBER, "redirect": "/shop"}, timeout=60
    )
    assert response.status_code == 200 and response.url.startswith(f"{base}/shop"), response.url
    info = shopper.post(
        f"{base}/web/session/get_session_info", json={"jsonrpc": "2.0", "params": {}}, timeout=30
    ).json()
    assert info["result"]["username"] == MEMBER, info

    # 3. ... buys an add-on of a title the account owns and its media kit; a product of a
    # title it does not own is refused
    products = {
        p["default_code"]: p
        for p in admin(
            "product.product",
            "search_read",
            domain=[("default_code", "in", ["CADS-RENDER", "CADS-MEDIA-DVD", "SIMF-CFD"])],
            fields=["id", "default_code", "product_tmpl_id"],
        )
    }

    def add(code, quantity=1):
        product = products[code]
        return shopper.post(
            f"{base}/shop/cart/add",
            json={
                "jsonrpc": "2.0",
                "params": {
                    "product_template_id": product["product_tmpl_id"][0],
                    "product_id": product["id"],
                    "quantity": quantity,
                },
            },
            timeout=60,
        ).json()

    added = add("CADS-RENDER", 2)
    assert "error" not in added, added
    assert "error" not in add("CADS-MEDIA-DVD")
    refused = add("SIMF-CFD")
    [order] = sales(
        "sale.order",
        "search_read",
        domain=[
            ("partner_id.commercial_partner_id", "=", northwind["id"]),
            ("website_id", "!=", False),
            ("state", "=", "draft"),
        ],
        fields=["id", "name"],
    )
    codes = {
        line["product_id"][1].split("]")[0].strip("[")
        for line in sales(
            "sale.order.line", "search_read", domain=[("order_id", "=", order["id"])], fields=["product_id"]
        )
    }
    assert codes == {"CADS-RENDER", "CADS-MEDIA-DVD"}, (codes, refused)
    sales("sale.order", "action_confirm", ids=[order["id"]])

    # 4. FlexNet learns of the new entitlement (queue_job pushes it) and e-mails it
    _wait(
        "the FlexNet push",
        lambda: (
            sales("sale.order", "read", ids=[order["id"]], fields=["flexnet_state"])[0]["flexnet_state"]
            == "done"
        ),
    )
    pushed = _fno(story["sim"]).get_entitlement(order["name"])
    assert pushed.sold_to == "NW-0042"
    assert [(li.part_number, li.number_of_copies) for li in pushed.line_items] == [("CADS-RENDER", 2)]
    outbox = requests.get(
        f"{story['sim']}/admin/outbox",
        params={"entitlement_id": order["name"]},
        auth=(SIM_USER, SIM_PASSWORD),
        timeout=10,
    ).json()
    assert len(outbox) == 1

    # 5. the media kit is produced at the right site (Northwind is in the UK: Eindhoven)
    [job] = admin(
        "media.production.job",
        "search_read",
        domain=[("order_id", "=", order["id"])],
        fields=["id", "state", "site_id"],
    )
    assert job["site_id"][1].startswith("Eindhoven")
    with tempfile.TemporaryDirectory() as folder:
        hot = pathlib.Path(folder, "hot")
        hot.mkdir()
        robot = RobotSimulator(str(hot), delay=0.2)
        robot.start()
        try:
            station = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "media_station",
                    "once",
                    "--url",
                    base,
                    "--db",
                    DB,
                    "--site",
                    "EU1",
                    "--key",
                    story["station_key"],
                    "--repo",
                    str(pathlib.Path(folder, "repo")),
                    "--hot-folder",
                    str(hot),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
            )
        finally:
            robot.stop()
        assert station.returncode == 0, station.stdout + station.stderr
        stored = [p.name for p in pathlib.Path(folder, "repo").rglob("*") if p.is_file()]
        assert story["setup_md5"] in stored, (stored, station.stdout[-2000:], station.stderr[-2000:])
    [job] = admin("media.production.job", "read", ids=[job["id"]], fields=["state", "production_id"])
    assert job["state"] == "done"
    [production] = admin("mrp.production", "read", ids=[job["production_id"][0]], fields=["state"])
    assert production["state"] == "done"
    deliveries = admin(
        "stock.picking",
        "search_read",
        domain=[("sale_id", "=", order["id"]), ("picking_type_code", "=", "outgoing")],
        fields=["state"],
    )
    assert deliveries and all(d["state"] == "assigned" for d in deliveries), deliveries

    # 6. the vendor downloads the released artwork of the media kit's BOM
    vendor = requests.Session()
    vendor.post(
        f"{base}/web/login",
        data={"login": "vendor", "password": "vendor", "csrf_token": _csrf(vendor, base)},
        timeout=30,
    )
    [revision] = admin(
        "mrp.bom.document.revision",
        "search_read",
        domain=[("document_id.document_type", "=", "artwork"), ("state", "=", "released")],
        fields=["id", "checksum_md5", "bom_id"],
    )
    download = vendor.get(
        f"{base}/my/boms/{revision['bom_id'][0]}/revisions/{revision['id']}/download", timeout=60
    )
    assert download.status_code == 200, download.url
    assert hashlib.md5(download.content).hexdigest() == revision["checksum_md5"]

    # 7. a renewal campaign reaches that customer's members
    [campaign_id] = manager(
        "maintenance.renewal.campaign",
        "create",
        vals_list=[
            {
                "name": "E2E renewals",
                "expiring_from": str(date.today()),
                "expiring_to": str(date.today() + timedelta(days=90)),
            }
        ],
    )
    manager("maintenance.renewal.campaign", "action_preview", ids=[campaign_id])
    manager("maintenance.renewal.campaign", "action_launch", ids=[campaign_id])
    recipients = manager(
        "maintenance.renewal.recipient",
        "search_read",
        domain=[("campaign_id", "=", campaign_id)],
        fields=["email", "account_id"],
    )
    northwind_mails = {r["email"] for r in recipients if r["account_id"][0] == northwind["id"]}
    assert MEMBER in northwind_mails and "carla@northwind.example.com" in northwind_mails

    # 8. ... and the manager's renewal figures count it
    [board_id] = manager("maintenance.renewal.dashboard", "create", vals_list=[{}])
    [board] = manager("maintenance.renewal.dashboard", "read", ids=[board_id], fields=["open_quotations"])
    [campaign] = manager(
        "maintenance.renewal.campaign", "read", ids=[campaign_id], fields=["quotation_count"]
    )
    assert campaign["quotation_count"] >= 1
    assert board["open_quotations"] == campaign["quotation_count"]
    log = story["log"].read_text(errors="replace")
    assert " ERROR " not in log and " CRITICAL " not in log, "the Odoo server logged errors: " + json.dumps(
        [line for line in log.splitlines() if " ERROR " in line or " CRITICAL " in line][:5]
    )


def _csrf(session, base):
    page = session.get(f"{base}/web/login", timeout=30).text
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]
