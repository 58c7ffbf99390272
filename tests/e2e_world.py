"""The end-to-end world: a FlexNet simulator, an Odoo server (restartable) on the database
``make test`` installed (``E2E_DB``), API keys for the demo personas and a production station.

The database is prepared in-process and committed; everything the tests do afterwards goes
over HTTP: Odoo's JSON-2 API, the web pages, the station program, the simulator's services.
"""

import base64
import hashlib
import os
import pathlib
import re
import sys
import time
from datetime import datetime, timedelta

import pytest
import requests
from flexnet_client import BasicAuth, FlexNetClient

import odoo
from odoo.modules.registry import Registry
from odoo.tools import config

from flexnet_simulator import Simulator, Store, serve
from flexnet_simulator.data import load_demo

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))

from _bench_common import (  # noqa: E402  (database options, ports and server, as the benchmarks)
    PreforkServer,
    db_args,
    free_port,
)

DB = os.environ.get("E2E_DB")
SIM_USER, SIM_PASSWORD = "admin", "admin"
# one line per reliability scenario, printed at the end of the run (tests/conftest.py)
SCENARIO_LINES = []
# one line per attack of tests/security, printed at the end of the run (tests/conftest.py)
ATTACK_LINES = []
# the simulator's store, for scenarios that set up FlexNet data no SOAP operation can (passwords)
SIMULATOR = {}


class Json2:
    """Odoo 19's external JSON-2 API with a bearer API key."""

    def __init__(self, base, key):
        self.base = base
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {key}", "X-Odoo-Database": DB})

    def call(self, model, method, **params):
        return self.session.post(f"{self.base}/json/2/{model}/{method}", json=params, timeout=120)

    def __call__(self, model, method, **params):
        response = self.call(model, method, **params)
        if response.status_code != 200:
            raise AssertionError(f"{model}.{method}: HTTP {response.status_code} {response.text[:500]}")
        return response.json()


def wait_for(what, check, timeout=90, step=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


class OdooServer(PreforkServer):
    """``odoo server`` on the e2e database (``E2E_DB``), with queue_job's runner and a cron
    worker, on a fixed port, in the run mode of ``run_mode_args``."""

    def __init__(self, port, log):
        super().__init__(DB, port, log)


def flexnet_sign_in(base, simulator, member, redirect="/shop"):
    """A web session of the FlexNet user ``member``, signed in as FlexNet's hand-off does: a
    secure token from FlexNet, the link to ``/flexnet/sso``, then "Continue" on the confirmation
    page."""
    fno = FlexNetClient(simulator, BasicAuth(SIM_USER, SIM_PASSWORD), timeout=10)
    session = requests.Session()
    response = session.get(
        f"{base}/flexnet/sso",
        params={"token": fno.get_secure_token(member), "user": member, "redirect": redirect},
        timeout=60,
    )
    assert response.status_code == 200 and "o_flexnet_sign_in_confirm" in response.text, response.url
    form = dict(re.findall(r'name="(csrf_token|pending_id)" value="([^"]+)"', response.text))
    response = session.post(f"{base}/flexnet/sign-in/confirm", data=form, timeout=60)
    assert response.status_code == 200 and response.url.startswith(f"{base}{redirect}"), response.url
    return session


@pytest.fixture(scope="session")
def e2e_simulator():
    if not DB:
        pytest.skip("E2E_DB names the database make test prepared")
    store = Store(":memory:")
    load_demo(store)
    sim = Simulator(store, SIM_USER, SIM_PASSWORD, ("e2e-token",))
    SIMULATOR["store"] = store
    server = serve(sim, "127.0.0.1", 0)
    host, port = server.server_address
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def world(e2e_simulator, tmp_path_factory):
    """Prepare the database (committed), start Odoo on it; yields the handles."""
    simulator = e2e_simulator
    config.parse_config(["-d", DB, "--addons-path", str(ROOT / "addons"), *db_args()])
    registry = Registry(DB)
    server = OdooServer(free_port(), tmp_path_factory.mktemp("odoo") / "odoo.log")
    keys = {}
    setup_bytes = os.urandom(300_000)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        # the address the stations download title files from
        env["ir.config_parameter"].set_param("web.base.url", server.base)
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
        # found again when the suites run once more on a kept database (KEEP_DB)
        station_user = env["res.users"].search([("login", "=", "e2e-station-eu1")]) or env[
            "res.users"
        ].create(
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
        # the cron worker runs, but the suites start the synchronisations themselves: the
        # scheduled ones wait until after the run
        for xmlid in (
            "flexnet_sync.ir_cron_flexnet_sync_full",
            "flexnet_sync.ir_cron_flexnet_sync_incremental",
        ):
            env.ref(xmlid).nextcall = datetime.now() + timedelta(days=1)
        cr.commit()
    server.start()
    try:
        yield {
            "base": server.base,
            "server": server,
            "sim": simulator,
            "admin": Json2(server.base, keys["admin"]),
            "sales": Json2(server.base, keys["sales"]),
            "manager": Json2(server.base, keys["manager"]),
            "station": Json2(server.base, keys["station"]),
            "station_key": keys["station"],
            "admin_key": keys["admin"],
            "sales_key": keys["sales"],
            "setup_md5": hashlib.md5(setup_bytes).hexdigest(),
        }
    finally:
        server.stop()
