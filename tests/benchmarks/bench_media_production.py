#!/usr/bin/env python3
"""Order confirmation with media production versus plain sale_mrp, measured in one run.

500 orders with one media-kit line each (routing, production job, frozen manifest, label
data) versus 500 orders of a twin product with the same routes and bill of materials but
no media kit (what sale_mrp does alone: procurement, manufacturing order), confirmed in
interleaved batches of 50 in one transaction that is rolled back. Goal: <= 2x.

Run through ``make bench`` (which prepares the database).
"""

import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(pathlib.Path(__file__).parent)]

from _bench_common import db_args, report  # noqa: E402

import odoo  # noqa: E402
from odoo.fields import Command  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

DB = os.environ.get("BENCH_DB", "flexnet_bench")
ORDERS = int(os.environ.get("BENCH_ORDERS", 500))
BATCH = 50


def prepare(env):
    mto = env.ref("stock.route_warehouse0_mto")
    mto.active = True
    routes = [mto.id, env.ref("mrp.route_warehouse0_manufacture").id]
    dvd = env.ref("media_production.media_type_dvd")
    blank = env["product.product"].create({"name": "Bench blank DVD", "type": "consu"})
    common = {"type": "consu", "route_ids": [Command.set(routes)], "list_price": 25}
    kit = env["product.product"].create(
        {
            **common,
            "name": "Bench media kit",
            "default_code": "BENCH-MEDIA-DVD",
            "flexnet_kind": "media_kit",
            "flexnet_title": "Bench title",
            "media_type_id": dvd.id,
        }
    )
    plain = env["product.product"].create({**common, "name": "Bench manufactured twin"})
    for product in (kit, plain):
        env["mrp.bom"].search([("product_tmpl_id", "=", product.product_tmpl_id.id)]).unlink()
        env["mrp.bom"].create(
            {
                "product_tmpl_id": product.product_tmpl_id.id,
                "bom_line_ids": [Command.create({"product_id": blank.id, "product_qty": 1})],
            }
        )
    files = env["media.title.file"].create(
        [
            {
                "title": "Bench title",
                "name": f"setup/file{i}.bin",
                "version": "1",
                "size": 1000 + i,
                "md5": f"{i:032x}",
                "url": f"https://files.example.com/{i}",
            }
            for i in range(20)
        ]
    )
    files.action_release()
    if not env["media.production.site"].search([("is_default", "=", True)]):
        env["media.production.site"].create(
            {
                "name": "Bench site",
                "code": "BENCH",
                "is_default": True,
                "media_type_ids": [Command.set(dvd.ids)],
            }
        )
    customers = env["res.partner"].create(
        [{"name": f"Bench buyer {i}", "country_id": env.ref("base.us").id} for i in range(50)]
    )
    return kit, plain, customers


def orders_for(env, product, customers, count):
    return env["sale.order"].create(
        [
            {
                "partner_id": customers[i % len(customers)].id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
            for i in range(count)
        ]
    )


def main():
    config.parse_config(["-d", DB, "--addons-path", str(ROOT / "addons"), *db_args()])
    registry = Registry(DB)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": False})
        kit, plain, customers = prepare(env)
        kit_orders = orders_for(env, kit, customers, ORDERS)
        plain_orders = orders_for(env, plain, customers, ORDERS)
        env.flush_all()
        # warm both paths (caches, first-use queries) on a batch each, not measured
        warm_kit = orders_for(env, kit, customers, 10)
        warm_plain = orders_for(env, plain, customers, 10)
        warm_kit.action_confirm()
        warm_plain.action_confirm()
        env.flush_all()
        spent = {"kit": 0.0, "plain": 0.0}
        for start in range(0, ORDERS, BATCH):
            for name, orders in (("plain", plain_orders), ("kit", kit_orders)):
                batch = orders[start : start + BATCH]
                env.invalidate_all()
                began = time.perf_counter()
                batch.action_confirm()
                env.flush_all()
                spent[name] += time.perf_counter() - began
        jobs = env["media.production.job"].search_count([("order_id", "in", kit_orders.ids)])
        productions = env["mrp.production"].search_count(
            [
                ("product_id", "in", (kit | plain).ids),
                ("origin", "in", (kit_orders | plain_orders).mapped("name")),
            ]
        )
        cr.rollback()
    assert jobs == ORDERS, f"{jobs} jobs for {ORDERS} orders"
    assert productions >= 2 * ORDERS, f"{productions} manufacturing orders"
    ratio = spent["kit"] / spent["plain"]
    print(f"{ORDERS} orders each, one line, confirmed in batches of {BATCH}")
    print(
        f"{'plain sale_mrp confirmation':42s} {'':8s} {spent['plain']:>8.1f} s  {ORDERS / spent['plain']:>6.1f} orders/s"
    )
    print(
        f"{'media kit confirmation (jobs, manifests)':42s} {'':8s} {spent['kit']:>8.1f} s  {ORDERS / spent['kit']:>6.1f} orders/s"
    )
    report("media kit / plain sale_mrp confirmation", "<= 2.0", f"{ratio:.2f}", ratio <= 2)
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
