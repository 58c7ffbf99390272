#!/usr/bin/env python3
"""Building a renewal campaign over a large installed base, measured in one run.

10,000 FlexNet accounts with 50,000 member contacts and one licensed line each whose
maintenance ends within the next 90 days (three titles, priced maintenance SKUs, two
pricelists). Measured: the refresh of the installed base from the entitlement lines, then
the campaign build (preview + launch: one quotation per account, the recipients, the mailing
list and the mass mailing). Everything happens in one transaction that is rolled back.
Goal: the campaign build in <= 60 s.

Run through ``make bench`` (which prepares the database).
"""

import cProfile
import os
import pathlib
import pstats
import sys
import time
from datetime import date, timedelta

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(pathlib.Path(__file__).parent)]

from _bench_common import db_args, report  # noqa: E402

import odoo  # noqa: E402
from odoo.fields import Command  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

DB = os.environ.get("BENCH_DB", "flexnet_bench")
ACCOUNTS = int(os.environ.get("BENCH_RENEWAL_ACCOUNTS", 10_000))
MEMBERS = int(os.environ.get("BENCH_RENEWAL_MEMBERS", 5))  # per account
GOAL_SECONDS = 60.0
BATCH = 1000
TITLES = ("Bench Alpha", "Bench Beta", "Bench Gamma")


def prepare(env):
    """The installed base, created with batched ORM writes (not measured)."""
    ctx = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True}
    env = env(context=dict(env.context, **ctx))
    backend = env["flexnet.backend"].create(
        {
            "name": "Bench renewals",
            "url": "http://127.0.0.1:9/flexnet",
            "username": "bench",
            "password": "bench",
        }
    )
    licenses, skus = [], []
    for index, title in enumerate(TITLES):
        licenses.append(
            env["product.product"].create(
                {
                    "name": title,
                    "default_code": f"BR-LIC-{index}",
                    "type": "service",
                    "flexnet_kind": "license",
                    "flexnet_product_name": title,
                    "flexnet_backend_id": backend.id,
                }
            )
        )
        skus.append(
            env["product.product"].create(
                {
                    "name": f"{title} maintenance",
                    "default_code": f"BR-MNT-{index}",
                    "type": "service",
                    "list_price": 100.0 * (index + 1),
                    "flexnet_kind": "maintenance",
                    "flexnet_title": title,
                    "flexnet_backend_id": backend.id,
                }
            )
        )
    discount = env["product.pricelist"].create(
        {
            "name": "Bench partners",
            "item_ids": [
                Command.create({"compute_price": "percentage", "percent_price": 15, "applied_on": "3_global"})
            ],
        }
    )
    today = date.today()
    us = env.ref("base.us").id
    for start in range(0, ACCOUNTS, BATCH):
        numbers = range(start, min(start + BATCH, ACCOUNTS))
        accounts = env["res.partner"].create(
            [
                {
                    "name": f"Bench renewal account {n}",
                    "is_company": True,
                    "country_id": us,
                    "flexnet_backend_id": backend.id,
                    "flexnet_account_id": f"BR-{n:06d}",
                    "flexnet_account_type": "CUSTOMER" if n % 5 else "CHANNEL_PARTNER",
                    "email": f"billing{n}@renewal-bench.example.com",
                    "child_ids": [
                        Command.create(
                            {
                                "name": f"Member {n}-{m}",
                                "email": f"m{m}.a{n}@renewal-bench.example.com",
                                "flexnet_backend_id": backend.id,
                                "flexnet_user_name": f"m{m}.a{n}@renewal-bench.example.com",
                                "flexnet_roles": "Portal Admin" if m == 0 else "Portal User",
                            }
                        )
                        for m in range(MEMBERS)
                    ],
                }
                for n in numbers
            ]
        )
        for n, account in zip(numbers, accounts, strict=True):
            if n % 4 == 0:
                account.property_product_pricelist = discount
        entitlements = env["flexnet.entitlement"].create(
            [
                {"name": f"BR-ENT-{n}", "backend_id": backend.id, "partner_id": account.id}
                for n, account in zip(numbers, accounts, strict=True)
            ]
        )
        lines = env["flexnet.entitlement.line"].create(
            [
                {
                    "activation_id": f"BR-ACT-{n}",
                    "backend_id": backend.id,
                    "entitlement_id": entitlement.id,
                    "partner_id": entitlement.partner_id.id,
                    "product_id": licenses[n % 3].id,
                    "part_number": licenses[n % 3].default_code,
                    "product_name": TITLES[n % 3],
                    "seats": 1 + n % 7,
                    "start_date": today - timedelta(days=300),
                    "maintenance_end": today + timedelta(days=1 + n % 89),
                }
                for n, entitlement in zip(numbers, entitlements, strict=True)
            ]
        )
        env["flexnet.entitlement.line"].create(
            [
                {
                    "activation_id": f"BR-ACT-{n}-M",
                    "backend_id": backend.id,
                    "entitlement_id": line.entitlement_id.id,
                    "partner_id": line.partner_id.id,
                    "line_type": "maintenance",
                    "parent_id": line.id,
                    "product_id": skus[n % 3].id,
                    "start_date": line.maintenance_end - timedelta(days=364),
                    "expiration_date": line.maintenance_end,
                }
                for n, line in zip(numbers, lines, strict=True)
            ]
        )
        env.flush_all()
        env.invalidate_all()
    return backend


def main():
    config.parse_config(["-d", DB, "--addons-path", str(ROOT / "addons"), *db_args()])
    registry = Registry(DB)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        began = time.perf_counter()
        prepare(env)
        env.flush_all()
        # what autovacuum does for committed data: give the planner the new rows' statistics
        cr.execute(
            "ANALYZE res_partner, flexnet_entitlement, flexnet_entitlement_line, product_product, "
            "product_template, maintenance_renewal_term, sale_order, sale_order_line, mailing_contact"
        )
        print(
            f"prepared {ACCOUNTS:,} accounts, {ACCOUNTS * MEMBERS:,} members in {time.perf_counter() - began:.1f} s"
        )

        env.invalidate_all()
        began = time.perf_counter()
        env["maintenance.renewal.term"]._refresh(reprice=True)
        env.flush_all()
        refresh = time.perf_counter() - began

        env.invalidate_all()
        began = time.perf_counter()
        campaign = env["maintenance.renewal.campaign"].create(
            {
                "name": "Bench renewals",
                "expiring_from": date.today(),
                "expiring_to": date.today() + timedelta(days=90),
            }
        )
        campaign.action_preview()
        previewed = time.perf_counter() - began
        profiler = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
        if profiler:
            profiler.enable()
        campaign.action_launch()
        env.flush_all()
        build = time.perf_counter() - began
        if profiler:
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(40)
            stats.print_callers("models.py:1361.search.$")

        accounts = len(campaign.order_ids)
        recipients = len(campaign.recipient_ids)
        cr.rollback()
    ok = build <= GOAL_SECONDS and accounts == ACCOUNTS
    print(f"installed base refresh: {refresh:.1f} s for {ACCOUNTS:,} lines")
    print(f"campaign preview:       {previewed:.1f} s")
    print(
        f"campaign build:         {build:.1f} s for {accounts:,} quotations and {recipients:,} recipients "
        f"({accounts / build:.0f} accounts/s)"
    )
    report(
        f"renewal campaign build, {ACCOUNTS:,} accounts",
        f"<= {GOAL_SECONDS:.0f} s",
        f"{build:.1f} s (ratio {build / GOAL_SECONDS:.2f})",
        ok,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
