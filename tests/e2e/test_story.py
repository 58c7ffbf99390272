"""The whole story, driven like real clients (see conftest.py for the world it runs in)."""

import hashlib
import pathlib
import subprocess
import sys
import tempfile
from datetime import date, timedelta

import requests
from _bench_common import web_login
from e2e_world import DB, ROOT, SIM_PASSWORD, SIM_USER, flexnet_sign_in, wait_for
from flexnet_client import BasicAuth, FlexNetClient

from flexnet_simulator.data import DEMO_ENTITLEMENTS
from media_station.robots.simulators import PTBurnSimulator

MEMBER = "dev.patel@northwind.example.com"  # a Northwind Engineering end user in FlexNet


def _fno(sim):
    return FlexNetClient(sim, BasicAuth(SIM_USER, SIM_PASSWORD), timeout=10)


def test_the_whole_story(world):
    story = world
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
    shopper = flexnet_sign_in(base, story["sim"], MEMBER)
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
    wait_for(
        "the FlexNet push",
        lambda: (
            sales("sale.order", "read", ids=[order["id"]], fields=["flexnet_state"])[0]["flexnet_state"]
            == "done"
        ),
    )
    [pushed_as] = sales("sale.order", "read", ids=[order["id"]], fields=["flexnet_entitlement_ref"])
    entitlement_id = pushed_as["flexnet_entitlement_ref"]
    assert entitlement_id.endswith(order["name"].replace("/", "-"))  # the backend's prefix first
    pushed = _fno(story["sim"]).get_entitlement(entitlement_id)
    assert pushed.sold_to == "NW-0042"
    assert pushed.state == "DEPLOYED"
    assert [(li.part_number, li.number_of_copies) for li in pushed.line_items] == [("CADS-RENDER", 2)]
    outbox = requests.get(
        f"{story['sim']}/admin/outbox",
        params={"entitlement_id": entitlement_id},
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
        robot = PTBurnSimulator(str(hot), delay=0.2)
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
                    "--robot",
                    "ptburn",
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
    vendor = web_login(base, "vendor", "vendor")
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
    assert not story["server"].errors(), story["server"].errors()[:5]
