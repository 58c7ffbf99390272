#!/usr/bin/env python3
"""Shop latency with entitlement gating versus without, measured in one run.

5,000 published products; a customer whose account holds 1,000 entitlements. p50 latency
of /shop, a search and a product page with the website's gating on and off (interleaved),
through a real Odoo HTTP server; and the SQL queries of the gated listing search for an
account with 10 and with 1,000 entitlements. Goals: gated/ungated <= 1.15, query count
independent of the number of entitlements.

Run through ``make bench`` (which prepares the database).
"""

import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(pathlib.Path(__file__).parent)]

from _bench_common import db_args, odoo_server, report, web_login  # noqa: E402

import odoo  # noqa: E402
from odoo import sql_db  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

DB = os.environ.get("BENCH_DB", "flexnet_bench")
PRODUCTS = 5000
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 15))
PASSWORD = "bench-customer-pw"


def prepare(env):
    """Create (once) the catalog, the accounts and the portal user; return ids."""
    Template = env["product.template"]
    backend = env["flexnet.backend"].search([("name", "=", "bench store")], limit=1) or env[
        "flexnet.backend"
    ].create({"name": "bench store", "url": "http://127.0.0.1:9", "username": "x", "password": "x"})
    existing = Template.search_count([("default_code", "=like", "BENCH-%")])
    if existing < PRODUCTS:
        vals = []
        for i in range(existing, PRODUCTS):
            kind = ("license", "addon", "seats", "media_kit")[i % 4]
            vals.append(
                {
                    "name": f"Bench product {i:05d}",
                    "default_code": f"BENCH-{i:05d}",
                    "list_price": 10 + i % 90,
                    "is_published": True,
                    "sale_ok": True,
                    "type": "service",
                    "flexnet_kind": kind,
                    "flexnet_title": f"Bench title {i % 50:02d}",
                    "flexnet_product_name": f"Bench title {i % 50:02d}"
                    if kind == "license"
                    else f"Bench product {i:05d}",
                    "flexnet_gating": "open" if kind == "license" else ("title" if i % 8 else "products"),
                }
            )
        Template.create(vals)
    products = env["product.product"].search([("default_code", "=like", "BENCH-%")], order="id")
    accounts = {}
    for size in (10, 1000):
        name = f"Bench account {size}"
        account = env["res.partner"].search([("name", "=", name)], limit=1) or env["res.partner"].create(
            {"name": name, "is_company": True, "flexnet_account_type": "CUSTOMER"}
        )
        if not env["flexnet.entitled.product"].search_count([("partner_id", "=", account.id)]):
            entitlement = env["flexnet.entitlement"].create(
                {"name": f"BENCH-ENT-{size}", "backend_id": backend.id, "partner_id": account.id}
            )
            env["flexnet.entitlement.line"].create(
                [
                    {
                        "activation_id": f"BENCH-ACT-{size}-{p.id}",
                        "backend_id": backend.id,
                        "entitlement_id": entitlement.id,
                        "partner_id": account.id,
                        "product_id": p.id,
                        "seats": 1,
                        "is_permanent": True,
                    }
                    for p in products[::4][:size]
                ]
            )
        accounts[size] = account
    user = env["res.users"].search([("login", "=", "bench_customer")], limit=1)
    if not user:
        contact = env["res.partner"].create(
            {"name": "Bench Customer", "parent_id": accounts[1000].id, "email": "bench@example.com"}
        )
        user = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "login": "bench_customer",
                    "password": PASSWORD,
                    "partner_id": contact.id,
                    "group_ids": [odoo.fields.Command.set([env.ref("base.group_portal").id])],
                }
            )
        )
    gated_addon = env["product.template"].search(
        [
            ("default_code", "=like", "BENCH-%"),
            ("flexnet_gating", "=", "title"),
            ("flexnet_title", "=", "Bench title 02"),
        ],
        limit=1,
        order="id",
    )
    return accounts, user, gated_addon


def queries(env, user):
    """SQL queries of the gated shop listing search, as the portal user."""
    env.invalidate_all()
    env.cr.cache.pop("flexnet_store.gating", None)  # count the gating query of every request
    website = env["website"].search([], limit=1)
    portal_env = env(user=user.id)
    start = sql_db.sql_counter
    portal_env["product.template"].search(website.with_env(portal_env).sale_product_domain(), limit=20)
    return sql_db.sql_counter - start


def main():
    config.parse_config(["-d", DB, "--addons-path", str(ROOT / "addons"), *db_args()])
    registry = Registry(DB)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        accounts, user, product = prepare(env)
        cr.commit()
        # query counts: the user of the 1,000-entitlement account, then of the 10 one
        user10 = user.copy(
            {
                "login": "bench_customer_10",
                "partner_id": env["res.partner"]
                .create({"name": "Bench 10", "parent_id": accounts[10].id})
                .id,
            }
        )
        env["website"].search([]).flexnet_gating = True
        # steady state: the fewest queries of three passes, once the registry caches
        # (groups, rules) of both users are warm
        count_10 = min(queries(env, user10) for _pass in range(3))
        count_1000 = min(queries(env, user) for _pass in range(3))
        cr.rollback()
        product_url = product.website_url

    with odoo_server(DB, ROOT / "addons") as (base, _server):
        session = web_login(base, "bench_customer", PASSWORD)
        pages = {"/shop": "/shop", "search": "/shop?search=Bench+product+01", "product page": product_url}
        timings = {(name, gated): [] for name in pages for gated in (True, False)}

        def set_gating(value):
            with registry.cursor() as cr:
                odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})["website"].search([]).flexnet_gating = value

        for gated in (True, False):  # warm both
            set_gating(gated)
            for url in pages.values():
                session.get(base + url, timeout=60)
        for _round in range(ROUNDS):
            for gated in (True, False):
                set_gating(gated)
                for name, url in pages.items():
                    start = time.perf_counter()
                    response = session.get(base + url, timeout=60)
                    timings[(name, gated)].append(time.perf_counter() - start)
                    assert response.status_code == 200, (url, response.status_code)
        set_gating(True)

    rows = []
    for name in pages:
        gated = statistics.median(timings[(name, True)])
        plain = statistics.median(timings[(name, False)])
        ratio = gated / plain
        rows.append(
            (
                f"{name} p50 gated/ungated",
                "<= 1.15",
                f"{gated * 1e3:.0f} / {plain * 1e3:.0f} ms = {ratio:.2f}",
                ratio <= 1.15,
            )
        )
    rows.append(
        (
            "listing queries, 10 vs 1,000 entitlements",
            "equal",
            f"{count_10} vs {count_1000}",
            count_10 == count_1000,
        )
    )
    print(f"{PRODUCTS:,} products, account with 1,000 entitlements, {ROUNDS} rounds")
    for name, goal, value, ok in rows:
        report(name, goal, value, ok)
    return 0 if all(ok for *_x, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
