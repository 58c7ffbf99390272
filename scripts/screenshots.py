#!/usr/bin/env python3
"""Screenshots of the key pages of the running demo, one persona after the other.

Starts headless Chromium, signs in through Odoo's login page as each demo persona and saves
PNG files under ``docs/screenshots/`` (or ``--out``). Run it while ``make demo`` is up:

    python3 scripts/screenshots.py [--url http://127.0.0.1:8069] [--db flexnet_demo]

Chromium is driven over its DevTools protocol (``websocket-client``); nothing else is needed.
"""

import argparse
import base64
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

ROOT = pathlib.Path(__file__).resolve().parents[1]

# (persona login, password, [(file name, path, what must be on the page)])
SHOTS = [
    (
        "manager",
        "manager",
        [
            (
                "manager-renewal-dashboard",
                "/odoo/action-maintenance_renewal.action_server_renewal_dashboard",
                "Renewal rate",
            ),
            (
                "manager-installed-base",
                "/odoo/action-maintenance_renewal.maintenance_renewal_term_action",
                "Installed base",
            ),
            (
                "manager-renewal-campaigns",
                "/odoo/action-maintenance_renewal.maintenance_renewal_campaign_action",
                "Renewal campaigns",
            ),
            (
                "manager-renewal-campaign",
                "/odoo/action-maintenance_renewal.maintenance_renewal_campaign_action/1",
                "Amount to renew",
            ),
            (
                "manager-past-due-accounts",
                "/odoo/action-maintenance_renewal.res_partner_past_due_action",
                "Past-due accounts",
            ),
            (
                "manager-renewal-analysis",
                "/odoo/action-maintenance_renewal.maintenance_renewal_term_report_action",
                "Renewal analysis",
            ),
        ],
    ),
    (
        "sales",
        "sales",
        [
            (
                "sales-entitlement-lines",
                "/odoo/action-flexnet_sync.flexnet_entitlement_line_action",
                "Entitlement",
            ),
            (
                "sales-installed-base",
                "/odoo/action-maintenance_renewal.maintenance_renewal_term_action",
                "Installed base",
            ),
        ],
    ),
    (
        "customer",
        "customer",
        [
            ("customer-shop", "/shop?search=Studio", "CAD Studio"),
            ("customer-my-entitlements", "/my/entitlements", "CAD Studio"),
        ],
    ),
    ("reseller", "reseller", [("reseller-shop", "/shop?search=Studio", "CAD Studio")]),
    ("vendor", "vendor", [("vendor-my-boms", "/my/boms", "Bills of materials")]),
    (
        "admin",
        "admin",
        [
            (
                "admin-new-production-site",
                "/odoo/action-media_production.media_production_site_wizard_action",
                "Makes and ships from",
            ),
        ],
    ),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One headless Chromium tab driven over the DevTools protocol."""

    def __init__(self, binary, width=1440, height=900):
        self.profile = tempfile.mkdtemp(prefix="flexnet-shots-")
        port = free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={port}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=1) as response:
                    tabs = [t for t in json.load(response) if t.get("type") == "page"]
                if tabs:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            self.close()
            raise RuntimeError("Chromium did not start")
        self.ws = websocket.create_connection(tabs[0]["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.call("Page.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def goto(self, url):
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'")

    def wait_for(self, condition, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(f"Boolean({condition})"):
                return True
            time.sleep(0.2)
        return False

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        if getattr(self, "ws", None):
            self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def sign_in(browser, url, db, login, password):
    browser.call("Network.clearBrowserCookies")
    browser.goto(f"{url}/web/login?db={db}")
    browser.evaluate(
        "(() => {"
        f"document.querySelector('input[name=login]').value = {json.dumps(login)};"
        f"document.querySelector('input[name=password]').value = {json.dumps(password)};"
        "document.querySelector('form.oe_login_form').submit();"
        "})()"
    )
    time.sleep(1)
    browser.wait_for("document.readyState === 'complete' && !location.pathname.startsWith('/web/login')")
    return not browser.evaluate("location.pathname.startsWith('/web/login')")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DEMO_URL", "http://127.0.0.1:8069"))
    parser.add_argument("--db", default=os.environ.get("DEMO_DB", "flexnet_demo"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument(
        "--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    )
    parser.add_argument("--only", help="only the personas given, comma-separated")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(args.only.split(",")) if args.only else None
    browser = Browser(args.chromium)
    problems = 0
    try:
        for login, password, pages in SHOTS:
            if wanted and login not in wanted:
                continue
            if not sign_in(browser, args.url, args.db, login, password):
                print(f"{login}: could not sign in", file=sys.stderr)
                problems += 1
                continue
            for name, path, expected in pages:
                browser.goto(args.url + path)
                # the web client renders after load: wait for the text, then for network calm
                found = browser.wait_for(
                    f"document.body && document.body.innerText.includes({json.dumps(expected)})"
                )
                time.sleep(1.5)
                browser.screenshot(out / f"{name}.png")
                state = "ok" if found else f"MISSING '{expected}'"
                problems += not found
                print(f"{login:9s} {path:75s} -> {name}.png ({state})")
    finally:
        browser.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
