#!/usr/bin/env python3
"""The web shop under load, gated versus ungated, against prefork Odoo.

``BENCH_SHOP_USERS`` (60) simulated customers (Locust, headless, in the benchmarks' own
virtualenv: see _locust_shop.py) browse /shop, search, open product pages and add to cart for
``BENCH_SHOP_SECONDS`` (60) once all of them have signed in. Each is a portal member of a
FlexNet account (half of them of an account with 10 entitlements, half of one with 1,000,
over the 5,000-product catalog of bench_flexnet_store.py), with a session of its own.

Gated versus ungated in the same run, at the same time: two websites on one database and one
catalog, gating on for one and off for the other, told apart by the Host header. Every task
of every customer picks one of the two at random, so that both get the same customers, the
same mix and the same machine noise at the same moment (phases toggled one after the other
would each catch different noise on a shared 2-core machine, and a customer's cart would
hold what the ungated phase let in).

Printed: requests/s, p50/p95/p99 of each website (sign-in excluded), errors, and, checked in
the database afterwards, the cart lines of the gated website holding a product that the
customer's account is not entitled to. Goals: gated p95 <= 1.15x ungated, 0 errors, 0 such
cart lines; the customers' attempts to add a product they are not entitled to straight
through /shop/cart/add are counted apart (all must be refused).

Customers sign in ``BENCH_SHOP_SIGN_IN_AT_ONCE`` (the server's workers) at a time; signing in
is not measured (see _locust_shop.py). The copy's scheduled actions are postponed by a day
before the server starts (their pending triggers too): the benchmark database has never run
them, so all of them would be due at once and the cron worker would run that backlog in the
middle of the measure. Niced, on a busy 2-core machine, the auto-vacuum alone took 20-40 s per
attempt, never got past its 10 s budget and was run again at every pass; the backlog outlived
Odoo's default 120 s cron watchdog (which also counts the worker's sleep of 60-70 s before a
pass) and the cron worker was killed. The cron worker still runs, as in production; it finds
nothing due.

Everything happens in a throw-away copy of ``BENCH_DB`` (``CREATE DATABASE ... TEMPLATE``),
dropped at the end. Run through ``make bench`` (which prepares the database and installs
Locust into .artifacts/bench-venv).
"""

import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import timedelta

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(pathlib.Path(__file__).parent)]

from _bench_common import (  # noqa: E402
    BenchSetupError,
    PreforkServer,
    database_copy,
    db_args,
    free_port,
    report,
)
from bench_flexnet_store import prepare as prepare_catalog  # noqa: E402

import odoo  # noqa: E402
from odoo.fields import Command, Datetime, Domain  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

DB = os.environ.get("BENCH_DB", "flexnet_bench")
USERS = int(os.environ.get("BENCH_SHOP_USERS", 60))
SECONDS = int(os.environ.get("BENCH_SHOP_SECONDS", 60))
WAIT = tuple(float(x) for x in os.environ.get("BENCH_SHOP_WAIT", "3,9").split(","))
WORKERS = int(os.environ.get("BENCH_SHOP_WORKERS", 4))
SIGN_IN_AT_ONCE = int(os.environ.get("BENCH_SHOP_SIGN_IN_AT_ONCE", WORKERS))
# two sign-ins per customer, a few seconds each on a busy 2-core machine
SIGN_IN_TIMEOUT = 120 + 4 * USERS
LOCUST_PYTHON = os.environ.get(
    "BENCH_LOCUST_PYTHON", str(ROOT / ".artifacts" / "bench-venv" / "bin" / "python")
)
PASSWORD = "bench-shopper-pw"
HOSTS = {"gated": "gated.shop.test", "ungated": "ungated.shop.test"}
KINDS = ("/shop", "search", "product page", "add to cart")


def locust_missing():
    """Why Locust cannot run here, or None."""
    requirements = pathlib.Path(__file__).with_name("requirements-load.txt").read_text()
    pinned = next(
        line.split("==")[1].strip() for line in requirements.splitlines() if line.startswith("locust==")
    )
    if not pathlib.Path(LOCUST_PYTHON).exists():
        return (
            f"no Python at {LOCUST_PYTHON} (make bench makes the virtualenv; see .artifacts/bench-venv.log)"
        )
    found = subprocess.run(
        [LOCUST_PYTHON, "-c", "import locust; print(locust.__version__)"], capture_output=True, text=True
    )
    if found.returncode != 0:
        return f"Locust is not installed in {LOCUST_PYTHON} (see .artifacts/bench-venv.log)"
    if found.stdout.strip() != pinned:
        return f"Locust {found.stdout.strip()} in {LOCUST_PYTHON}, not the pinned {pinned}"
    return None


def prepare(env):
    """The catalog and its two accounts (bench_flexnet_store.py), the two websites and the
    shoppers; returns (customers, {account id: [(template, variant) it may not buy]},
    gated website id). The scheduled actions wait until after the run."""
    accounts, _user, _product = prepare_catalog(env)
    after_run = Datetime.now() + timedelta(days=1)
    env["ir.cron"].search([("active", "=", True)]).write({"nextcall": after_run})
    # module updates leave triggers (the auto-vacuum's): they make a job due whatever its nextcall
    env["ir.cron.trigger"].search([("call_at", "<", after_run)]).write({"call_at": after_run})
    Website = env["website"]
    gated = Website.search([], order="id", limit=1)
    gated.write({"domain": HOSTS["gated"], "flexnet_gating": True})
    (Website.search([("id", "!=", gated.id)])).write({"domain": False})
    Website.create({"name": "Ungated shop", "domain": HOSTS["ungated"], "flexnet_gating": False})
    portal = env.ref("base.group_portal")
    members = env["res.partner"].create(
        [
            {
                "name": f"Load shopper {i:02d}",
                "parent_id": accounts[(10, 1000)[i % 2]].id,
                "email": f"shopper{i}@example.com",
            }
            for i in range(USERS)
        ]
    )
    users = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            [
                {
                    "login": f"load_shopper_{i:02d}",
                    "partner_id": member.id,
                    "group_ids": [Command.set(portal.ids)],
                }
                for i, member in enumerate(members)
            ]
        )
    )
    # one hash for all: each would cost a PBKDF2 run of its own, to the same effect
    hashed = users._crypt_context().hash(PASSWORD)
    for user in users:
        user._set_encrypted_password(user.id, hashed)
    customers = [
        {"login": user.login, "password": PASSWORD, "account": user.partner_id.commercial_partner_id.id}
        for user in users
    ]
    Product = env["product.product"]
    forbidden = {}
    for account in accounts.values():
        entitled = Product.search(
            Domain("default_code", "=like", "BENCH-%")
            & env["product.template"]._flexnet_gating_domain(account, template_field="product_tmpl_id")
        )
        others = Product.search(
            [("default_code", "=like", "BENCH-%"), ("id", "not in", entitled.ids)], limit=50
        )
        forbidden[account.id] = [(p.product_tmpl_id.id, p.id) for p in others]
    return customers, forbidden, gated.id


def cart_check(env, website_id):
    """(cart lines on the gated website, those holding a product the customer's account is
    not entitled to)."""
    orders = env["sale.order"].search([("website_id", "=", website_id)])
    lines = bad = 0
    Template = env["product.template"]
    for order in orders:
        products = order.order_line.product_id
        lines += len(order.order_line)
        allowed = products.filtered_domain(
            Template._flexnet_gating_domain(order.partner_id, template_field="product_tmpl_id")
        )
        bad += len(order.order_line.filtered(lambda line, allowed=allowed: line.product_id not in allowed))
    return lines, bad


def percentile(values, share):
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1] if len(values) > 1 else 0.0


def main():
    missing = locust_missing()
    if missing:
        print(f"shop load benchmark not run: {missing}")
        report("shop load: Locust", "installed", "missing", False)
        return 1
    copy = f"{DB}_shop"
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-shop-"))
    server = None
    try:
        with database_copy(DB, copy):
            config.parse_config(
                ["-d", copy, "--addons-path", str(ROOT / "addons"), "--log-level", "warn", *db_args()]
            )
            registry = Registry(copy)
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                customers, forbidden, gated_id = prepare(env)
            server = PreforkServer(copy, free_port(), work / "odoo.log", workers=WORKERS, quiet=True)
            server.start()
            settings = {
                "base": server.base,
                "sites": HOSTS,
                "customers": customers,
                "forbidden": {str(k): v for k, v in forbidden.items()},
                "searches": ["Bench product 01", "Bench title 02", "product 3", "title 1", "Bench"],
                "wait": WAIT,
                "duration": SECONDS,
                "sign_in_at_once": SIGN_IN_AT_ONCE,
                "sign_in_timeout": SIGN_IN_TIMEOUT,
            }
            (work / "settings.json").write_text(json.dumps(settings))
            print(
                f"{USERS} customers (2 accounts: 10 and 1,000 entitlements, 5,000 products), "
                f"think time {WAIT[0]:g}-{WAIT[1]:g} s, {SECONDS} s measured; prefork Odoo, "
                f"{WORKERS} workers; gated and ungated websites side by side; "
                f"{SIGN_IN_AT_ONCE} sign-ins at a time"
            )
            run = subprocess.run(
                [
                    LOCUST_PYTHON,
                    str(pathlib.Path(__file__).with_name("_locust_shop.py")),
                    "settings.json",
                    "out.json",
                ],
                cwd=work,
                capture_output=True,
                text=True,
                timeout=SIGN_IN_TIMEOUT + SECONDS + 200,
            )
            if run.returncode != 0 or not (work / "out.json").exists():
                print(f"shop load benchmark failed: Locust ended with {run.returncode}")
                print("\n".join(run.stderr.splitlines()[-15:]))
                return 1
            results = json.loads((work / "out.json").read_text())
            with registry.cursor() as cr:
                lines, bad = cart_check(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}), gated_id)
            odoo_errors = server.errors()
            server.stop()
            server = None
            Registry.delete(copy)
    except BenchSetupError as exc:
        print(f"shop load benchmark not run: {exc}")
        return 1
    finally:
        if server:
            server.stop(kill=True)
        shutil.rmtree(work, ignore_errors=True)
    return summarise(results, lines, bad, odoo_errors)


def summarise(results, lines, bad, odoo_errors):
    times, failures, seconds = results["times"], results["failures"], results["seconds"]
    print(
        f"signed in: {results['signed_in']}/{results['users']}"
        + (f"; failed: {', '.join(results['sign_in_failures'])}" if results["sign_in_failures"] else "")
    )
    print(f"{'requests':26s} {'count':>6s} {'req/s':>6s} {'p50':>6s} {'p95':>6s} {'p99':>6s} {'errors':>6s}")
    groups = {}
    for site in HOSTS:
        values = []
        for kind in KINDS:
            name = f"{site} {kind}"
            samples = times.get(name, [])
            values += samples
            errors = sum(failures.get(name, {}).values())
            if samples:
                print(
                    f"{name:26s} {len(samples):6d} {len(samples) / seconds:6.1f} "
                    f"{percentile(samples, 50):6.0f} {percentile(samples, 95):6.0f} "
                    f"{percentile(samples, 99):6.0f} {errors:6d}"
                )
        groups[site] = values
    probe = "probe: gated add to cart, not entitled"
    probes, probes_let_in = len(times.get(probe, [])), sum(failures.get(probe, {}).values())
    errors = sum(n for name, by_text in failures.items() if name != probe for n in by_text.values())
    for name, by_text in failures.items():
        for text, count in list(by_text.items())[:3]:
            print(f"  {count} x {name}: {text}")
    gated, ungated = groups["gated"], groups["ungated"]
    ok = results["signed_in"] == results["users"] and bool(gated) and bool(ungated)
    for site, values in groups.items():
        report(
            f"shop load, {site}: req/s, p50 / p95 / p99",
            "(printed)",
            f"{len(values) / seconds:.1f}/s, {percentile(values, 50):.0f} / {percentile(values, 95):.0f}"
            f" / {percentile(values, 99):.0f} ms",
            bool(values),
        )
    ratio = percentile(gated, 95) / percentile(ungated, 95) if gated and ungated else float("inf")
    ok &= report("shop load: p95 gated / ungated", "<= 1.15", f"{ratio:.2f}", ratio <= 1.15)
    ok &= report(
        "shop load: errors",
        "0",
        f"{errors} of {sum(len(v) for v in groups.values())} requests",
        errors == 0,
    )
    ok &= report(
        "shop load: carts with non-entitled product",
        "0",
        f"{bad} of {lines} gated cart lines",
        bad == 0 and lines > 0,
    )
    ok &= report(
        "shop load: non-entitled adds refused",
        "all",
        f"{probes - probes_let_in} / {probes}",
        not probes_let_in,
    )
    if odoo_errors:
        print(f"  {len(odoo_errors)} ERROR line(s) in the Odoo log, first ones:")
        print("  " + "\n  ".join(odoo_errors[:5]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
