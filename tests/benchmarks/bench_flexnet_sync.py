#!/usr/bin/env python3
"""Full FlexNet sync into Odoo versus a raw batched ORM create of the same rows, one run.

Simulator generated with N entitlement lines (N/10 accounts, 3N/10 users). Prints lines/s
for the sync (end to end: SOAP over HTTP, parse, map, upsert, the run's close) and for raw
batched creates of a copy of every row the lines sync created, entitlements and lines (as
varied as they are, with the fields the sync writes), into the same models, their ratio
(and, as context, the ratio to the lines' creates alone), peak memory, and the time of an
incremental sync after 1 % of the lines changed; accounts and member users against raw
creates of the same contacts. Goals: lines >= 1,000/s and >= 0.70 of the raw rate, incremental <= 10 s,
accounts and users >= 0.50 of theirs.

Everything runs in a throw-away copy of ``BENCH_DB`` (``CREATE DATABASE ... TEMPLATE``) and
commits as the scheduled synchronisation does: each kind's run in its transaction, each raw
baseline in its own; the copy is dropped at the end. The sync runs as the scheduled action
does (superuser).

Run through ``make bench`` (which prepares the database), or:
    BENCH_DB=flexnet_bench python3 tests/benchmarks/bench_flexnet_sync.py [N]
"""

import os
import pathlib
import resource
import socket
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(pathlib.Path(__file__).parent)]

import requests  # noqa: E402
from _bench_common import BenchSetupError, database_copy, db_args, report  # noqa: E402

import odoo  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

LINES = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("BENCH_LINES", 100_000))
DB = os.environ.get("BENCH_DB", "flexnet_bench")
# what the sync writes on the partners it creates (sync/mapper.py), for the raw baselines
PARTNER_FIELDS = {
    "accounts": [
        "name",
        "is_company",
        "flexnet_backend_id",
        "flexnet_account_id",
        "flexnet_account_type",
        "street",
        "street2",
        "city",
        "zip",
        "country_id",
    ],
    "users": [
        "name",
        "email",
        "phone",
        "parent_id",
        "type",
        "is_company",
        "flexnet_backend_id",
        "flexnet_user_name",
        "flexnet_roles",
        "flexnet_can_login",
        "flexnet_last_login",
    ],
}


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    try:
        with database_copy(DB, f"{DB}_sync") as copy:
            return measure(copy)
    except BenchSetupError as exc:
        print(f"bench_flexnet_sync: {exc}")
        return 1


def measure(db):
    args = ["-d", db, "--addons-path", str(ROOT / "addons"), *db_args()]
    config.parse_config(args)
    registry = Registry(db)

    # the simulator runs in a process of its own, as FlexNet Operations would
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.perf_counter()
    simulator = subprocess.Popen(
        [sys.executable, "-m", "flexnet_simulator", "--port", str(port), "--generate", str(LINES), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        return _measure(registry, simulator, port, started)
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)


def _measure(registry, simulator, port, started):
    simulator.stdout.readline()  # the banner comes once the data is loaded
    url = f"http://127.0.0.1:{port}"
    counts = requests.get(f"{url}/admin/stats", auth=("admin", "admin"), timeout=60).json()["counts"]
    print(
        f"simulator: {counts['line_items']:,} lines + {counts['maintenance_items']:,} maintenance, "
        f"{counts['accounts']:,} accounts, {counts['users']:,} users, ready in {time.perf_counter() - started:.1f} s"
    )

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        backend_id = (
            env["flexnet.backend"]
            .create(
                {
                    "name": f"bench {time.time():.0f}",
                    "url": url,
                    "username": "admin",
                    "password": "admin",
                    "page_size": 2000,
                    "timeout": 120,
                }
            )
            .id
        )
    timings, synced_counts = {}, {}
    for kind in ("products", "accounts", "users", "lines"):
        if kind == "lines":
            rss_before_lines = rss_mb()
        start = time.perf_counter()
        with registry.cursor() as cr:  # committed at the end, as the scheduled action's run
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            run = env["flexnet.backend"].browse(backend_id).sync_all(kinds=(kind,))
            env.flush_all()
            state, error_log = run.state, run.error_log
            fetched, created, failed = run.fetched_count, run.created_count, run.failed_count
        timings[kind] = time.perf_counter() - start
        assert state == "done", error_log
        synced_counts[kind] = fetched
        print(
            f"  sync {kind:9s} {fetched:8,} records in {timings[kind]:7.1f} s "
            f"({created:,} created, {failed} failed), peak RSS {rss_mb():,.0f} MB"
        )
    rss_during_lines = rss_mb()
    sync_rate = synced_counts["lines"] / timings["lines"]

    # raw batched ORM create of the same rows into the same models, no FlexNet: a copy of every
    # entitlement and every line the lines sync created (each line under the copy of its
    # entitlement, a maintenance line under the copy of its parent; their own product, account,
    # company, dates), under new keys, in batches of the sync's page size, committed
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        synced_ents = env["flexnet.entitlement"].search([("backend_id", "=", backend_id)], order="id")
        ent_values = [
            dict(vals, name=f"RAW-{ent.name}", company_id=ent.company_id.id, state=ent.state)
            for ent, vals in zip(synced_ents, synced_ents.copy_data(), strict=True)
        ]
        ent_ids = synced_ents.ids
        Line = env["flexnet.entitlement.line"]
        # parents first, then maintenance lines: a maintenance line's copy names the copy of
        # its parent (each group in its own batches)
        line_groups = []
        for parent_domain in (("parent_id", "=", False), ("parent_id", "!=", False)):
            synced_lines = Line.search([("backend_id", "=", backend_id), parent_domain], order="id")
            group = []
            for offset in range(0, len(synced_lines), 2000):
                batch = synced_lines[offset : offset + 2000]
                group.append(
                    (
                        batch.ids,
                        [
                            dict(
                                vals,
                                activation_id=f"RAW-{line.activation_id}",
                                company_id=line.company_id.id,
                                state=line.state,
                            )
                            for line, vals in zip(batch, batch.copy_data(), strict=True)
                        ],
                    )
                )
                env.invalidate_all()
            line_groups.append(group)
        line_count = sum(len(values) for group in line_groups for _ids, values in group)
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        ent_copy = {}
        for offset in range(0, len(ent_values), 2000):
            created = env["flexnet.entitlement"].create(ent_values[offset : offset + 2000])
            ent_copy.update(zip(ent_ids[offset : offset + 2000], created.ids, strict=True))
            env.flush_all()
            env.invalidate_all()
        raw_ent_seconds = time.perf_counter() - start
        line_copy = {}
        for group in line_groups:
            for ids, batch in group:
                for vals in batch:
                    vals["entitlement_id"] = ent_copy[vals["entitlement_id"]]
                    if vals.get("parent_id"):
                        vals["parent_id"] = line_copy[vals["parent_id"]]
                created = env["flexnet.entitlement.line"].create(batch)
                line_copy.update(zip(ids, created.ids, strict=True))
                env.flush_all()
                env.invalidate_all()
    raw_seconds = time.perf_counter() - start
    raw_line_seconds = raw_seconds - raw_ent_seconds
    raw_rate = line_count / raw_seconds
    print(
        f"  raw create {len(ent_values):,} entitlements in {raw_ent_seconds:.1f} s and "
        f"{line_count:,} lines in {raw_line_seconds:.1f} s: {raw_rate:,.0f} lines/s "
        f"(the lines alone {line_count / raw_line_seconds:,.0f}/s)"
    )
    with registry.cursor() as cr:
        odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})["flexnet.entitlement"].browse(
            list(ent_copy.values())
        ).unlink()

    # raw batched creates of the same accounts and member users: the fields the sync writes,
    # read back from what it created, under a new FlexNet key, members under their own
    # accounts, in batches of the sync's page size, committed
    raw_partner_rates = {}
    for kind, key, domain in (
        ("accounts", "flexnet_account_id", [("flexnet_account_id", "!=", False)]),
        ("users", "flexnet_user_name", [("flexnet_user_name", "!=", False)]),
    ):
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            synced_partners = (
                env["res.partner"]
                .with_context(active_test=False)
                .search([("flexnet_backend_id", "=", backend_id), *domain], order="id")
            )
            names = PARTNER_FIELDS[kind]
            read_rows = synced_partners.read(names, load=None)
        copies = [{**{name: row[name] for name in names}, key: f"RAW-{row[key]}"} for row in read_rows]
        start = time.perf_counter()
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            for offset in range(0, len(copies), 2000):
                env["res.partner"].create(copies[offset : offset + 2000])
                env.flush_all()
                env.invalidate_all()
        raw_partner_rates[kind] = len(copies) / (time.perf_counter() - start)
        sync_partner_rate = synced_counts[kind] / timings[kind]
        print(
            f"  raw create {kind:9s} {len(copies):8,} records: {raw_partner_rates[kind]:,.0f}/s "
            f"(sync {sync_partner_rate:,.0f}/s)"
        )

    # incremental after 1 % of the lines changed
    requests.post(
        f"{url}/admin/touch",
        json={"kind": "line_items", "count": LINES // 100},
        auth=("admin", "admin"),
        timeout=60,
    ).raise_for_status()
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        incremental = env["flexnet.backend"].browse(backend_id).sync_incremental(kinds=("lines",))
        env.flush_all()
        incremental_fetched = incremental.fetched_count
    incremental_seconds = time.perf_counter() - start

    ratio = sync_rate / raw_rate
    growth = rss_during_lines - rss_before_lines
    rows = [
        ("sync lines/s (end to end)", ">= 1000", f"{sync_rate:,.0f}", sync_rate >= 1000),
        ("raw batched create lines/s (baseline)", "(printed)", f"{raw_rate:,.0f}", True),
        ("lines sync / raw create", ">= 0.70", f"{ratio:.2f}", ratio >= 0.7),
        (
            "lines sync / raw create of the lines alone",
            "(printed)",
            f"{sync_rate * raw_line_seconds / line_count:.2f}",
            True,
        ),
        (
            "incremental, 1 % changed (s)",
            "<= 10",
            f"{incremental_seconds:.1f} ({incremental_fetched:,} records)",
            incremental_seconds <= 10,
        ),
        ("peak RSS growth, lines sync (MB)", "<= 200", f"{growth:,.0f}", growth <= 200),
    ]
    for kind in ("accounts", "users"):
        sync_partner_rate = synced_counts[kind] / timings[kind]
        partner_ratio = sync_partner_rate / raw_partner_rates[kind]
        rows.append(
            (
                f"{kind} sync / raw create",
                ">= 0.50",
                f"{sync_partner_rate:,.0f} / {raw_partner_rates[kind]:,.0f} per s = {partner_ratio:.2f}",
                partner_ratio >= 0.5,
            )
        )
    print()
    for name, goal, value, ok in rows:
        report(name, goal, value, ok)
    return 0 if all(ok for *_x, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
