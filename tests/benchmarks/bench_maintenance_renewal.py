#!/usr/bin/env python3
"""A renewal campaign over a large installed base, as the renewal manager, committed.

The installed base: 10,000 FlexNet accounts with 50,000 member contacts (active FlexNet users)
and one licensed line each whose maintenance ends within the next 90 days (three titles,
priced maintenance SKUs, two pricelists). It is prepared (not measured) in a throw-away copy
of ``$BENCH_DB``, with the daily refresh of the maintenance terms, and committed. That copy is
copied once more, so that both measures below start from the same committed data:

* the campaign, in the first copy, served by prefork Odoo with queue_job's runner (channels
  ``root:2,root.maintenance_renewal:2``, scheduled actions off so that nothing else runs): a
  user with only the renewal manager group creates a campaign, previews it and reads the
  preview's figures (one committed transaction, as the button and the form's reload), then
  launches it (committed): the launch enqueues one job per batch of accounts (quotations,
  recipients, mailing-list contacts) and a last one (the mass mailing), which the runner runs
  as that user, two at a time. Measured until the campaign is *Launched*;
* its baseline, in the second copy, at the same parallelism: two processes, each creating
  half of the same quotations (same accounts, salespeople, products, quantities and line
  texts) with batched ``sale.order.create`` and half of the same contacts with batched
  ``mailing.contact.create`` on one mailing list, as the same user, without any campaign
  logic (no targeting, no recipients, no mailing), each committed. It prints its CPU time,
  the processes' and their PostgreSQL backends' (PostgreSQL's own background processes not
  counted): divided by the cores this script may use, the least wall time in which these
  creations, made through Odoo's ``create`` as the baseline makes them, can end here.

Goals: the campaign in <= 60 s, and its rate at least half of the baseline's (ratio of the
baseline's time to the campaign's >= 0.5). Both throw-away databases are dropped at the end.

Run through ``make bench`` (which prepares ``$BENCH_DB``); ``BENCH_RENEWAL_ACCOUNTS`` and
``BENCH_RENEWAL_MEMBERS`` (members per account) make it smaller.
"""

import os
import pathlib
import shutil
import sys
import tempfile
import time
from contextlib import closing
from datetime import date, timedelta

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(pathlib.Path(__file__).parent)]

from _bench_common import PreforkServer, db_args, free_port, report  # noqa: E402

import odoo  # noqa: E402
from odoo.fields import Command  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import SQL, config  # noqa: E402

DB = os.environ.get("BENCH_DB", "flexnet_bench")
ACCOUNTS = int(os.environ.get("BENCH_RENEWAL_ACCOUNTS", 10_000))
MEMBERS = int(os.environ.get("BENCH_RENEWAL_MEMBERS", 5))  # per account
GOAL_SECONDS = 60.0
GOAL_RATIO = 0.5
BATCH = 1000  # preparation
CREATE_BATCH = 250  # the baseline's creations: the campaign's own batch of accounts
# jobs at a time (the channel's capacity) and processes of the baseline
PARALLEL = int(os.environ.get("BENCH_RENEWAL_PARALLEL", 2))
CHANNELS = f"root:{PARALLEL},root.maintenance_renewal:{PARALLEL}"
LAUNCH_TIMEOUT = 1800
TITLES = ("Bench Alpha", "Bench Beta", "Bench Gamma")
MANAGER_LOGIN = "bench_renewal_manager"
# what the campaign passes to its bulk creations (no chatter message, follower or tracking each)
QUIET = {"mail_create_nolog": True, "mail_create_nosubscribe": True, "tracking_disable": True}
CAMPAIGN_DB = f"{DB}_renewal_{os.getpid()}"
BASELINE_DB = f"{DB}_renewal_raw_{os.getpid()}"


# --- throw-away databases --------------------------------------------------------------------------


def _postgres(query):
    """Run one statement on the cluster, outside a transaction (CREATE/DROP DATABASE)."""
    with closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
        cr._cnx.autocommit = True
        cr.execute(query)


def copy_database(source, target):
    """``target`` as a copy of ``source`` (PostgreSQL's template copy, and the filestore)."""
    Registry.delete(source)
    odoo.sql_db.close_db(source)
    try:
        _postgres(
            SQL(
                "CREATE DATABASE %s ENCODING 'unicode' TEMPLATE %s",
                SQL.identifier(target),
                SQL.identifier(source),
            )
        )
    except Exception as exc:
        raise SystemExit(f"could not copy {source} to {target} (is {source} in use?): {exc}") from exc
    filestore = config.filestore(source)
    if os.path.isdir(filestore):
        shutil.copytree(filestore, config.filestore(target))


def drop_database(name):
    Registry.delete(name)
    odoo.sql_db.close_db(name)
    _postgres(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(name)))
    shutil.rmtree(config.filestore(name), ignore_errors=True)


# --- preparation (not measured) -------------------------------------------------------------------


def prepare(env):
    """The installed base and the renewal manager, created with batched ORM writes."""
    env = env(context=dict(env.context, **QUIET))
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
                                "flexnet_can_login": True,
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
    manager_group = env.ref("maintenance_renewal.group_renewal_manager")
    manager = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Bench renewal manager",
                "login": MANAGER_LOGIN,
                "email": "renewal.manager@renewal-bench.example.com",
                "group_ids": [Command.set(manager_group.ids)],
            }
        )
    )
    # only the renewal manager group and what it implies
    extra = manager.all_group_ids - manager_group.all_implied_ids - manager_group
    assert not extra, f"the bench user has more than the renewal manager group: {extra.mapped('full_name')}"
    return manager


def analyze(cr):
    """Give the planner the statistics of the rows just committed.

    The installed base was created and committed moments ago. In real life it sat in the
    database for days, and autovacuum's autoanalyze had long given the planner the statistics
    of these tables (it runs after a table changed by more than 10 % plus 50 rows); the
    benchmark does not wait for autovacuum's next round, so it runs that ANALYZE itself,
    before anything is measured.
    """
    cr.execute(
        "ANALYZE res_partner, res_users, flexnet_entitlement, flexnet_entitlement_line, product_product, "
        "product_template, product_pricelist, product_pricelist_item, maintenance_renewal_term, "
        "ir_config_parameter"
    )


# --- the measures ---------------------------------------------------------------------------------


def run_campaign(registry, uid):
    """Preview (committed) and launch (committed) a campaign as the user ``uid``, then wait
    until the served Odoo's job runner has run the launch's jobs."""
    began = time.perf_counter()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, uid, {})
        campaign = env["maintenance.renewal.campaign"].create(
            {
                "name": "Bench renewals",
                "expiring_from": date.today(),
                "expiring_to": date.today() + timedelta(days=90),
            }
        )
        campaign.action_preview()
        # the form shows the preview's figures
        figures = campaign.read(["term_count", "account_count", "amount_total", "contact_count"])[0]
        campaign_id = campaign.id
        cr.commit()
    previewed = time.perf_counter() - began
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, uid, {})
        campaign = env["maintenance.renewal.campaign"].browse(campaign_id)
        campaign.action_launch()
        graph = campaign.launch_graph_uuid  # cleared once launched
        cr.commit()
        clicked = time.perf_counter() - began
        while True:
            cr.execute(
                "SELECT c.state, (SELECT count(*) FROM queue_job j WHERE j.graph_uuid = %s"
                " AND j.state = 'failed') FROM maintenance_renewal_campaign c WHERE c.id = %s",
                [graph, campaign_id],
            )
            state, failed = cr.fetchone()
            cr.commit()  # a snapshot of its own each time
            if state == "launched" or failed or time.perf_counter() - began > LAUNCH_TIMEOUT:
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - began
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, uid, {})
        campaign = env["maintenance.renewal.campaign"].browse(campaign_id)
        jobs = env["queue.job"].sudo().search([("graph_uuid", "=", graph or "-")])
        span = (
            (max(jobs.mapped("date_done")) - min(jobs.mapped("date_started"))).total_seconds()
            if jobs and all(jobs.mapped("date_done"))
            else 0.0
        )
        made = {
            "state": campaign.state,
            "jobs": len(jobs),
            "job_seconds": sum(jobs.mapped("exec_time")),
            "job_span": span,
            "job_kinds": ", ".join(
                f"{len(kind)} {method.removeprefix('_job_launch_')} {sum(kind.mapped('exec_time')):.1f} s"
                for method, kind in jobs.grouped("method_name").items()
            ),
            "quotations": len(campaign.order_ids),
            "lines": len(campaign.order_ids.order_line),
            "recipients": len(campaign.recipient_ids),
            "contacts": len(campaign.mailing_list_id.contact_ids),
        }
    return elapsed, previewed, clicked, figures, made


def baseline_values(env):
    """The quotations and mailing contacts the campaign makes, as plain values (not measured):
    per account, its salesperson and a line per maintenance term (SKU, seats, the same text);
    per contact of the accounts with an e-mail, its name, address and account's name."""
    today = date.today()
    terms = env["maintenance.renewal.term"].search(
        [
            ("state", "in", ("active", "expiring")),
            ("date_end", ">=", today),
            ("date_end", "<=", today + timedelta(days=90)),
        ]
    )
    campaign = env["maintenance.renewal.campaign"].new({"name": "Bench renewals", "user_id": env.uid})
    by_account = {}
    for term in terms:
        values = campaign._quotation_line_values(term, today)
        line = {key: values[key] for key in ("product_id", "product_uom_qty", "name")}
        by_account.setdefault(term.account_id, []).append(Command.create(line))
    orders = [
        {
            "partner_id": account.id,
            "user_id": (account.user_id.id or env.uid),
            "origin": "Bench renewals",
            "validity_date": today + timedelta(days=30),
            "order_line": lines,
        }
        for account, lines in by_account.items()
    ]
    contacts = [
        {"name": partner.name, "email": partner.email, "company_name": account.name}
        for partner, (account, _role) in campaign._recipient_partners(terms.account_id).items()
    ]
    return orders, contacts


def run_baseline(registry, uid):
    """The same quotations and mailing contacts with batched creations, as the user ``uid``,
    by ``PARALLEL`` processes at once (each its share, committed)."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, uid, {})
        orders, contacts = baseline_values(env)
        mailing_list = env["mailing.list"].create({"name": "Bench renewals (raw)", "is_public": False})
        link = [Command.link(mailing_list.id)]
        cr.commit()
    odoo.sql_db.close_all()  # no connection shared with the processes below
    began = time.perf_counter()
    children = {}
    for share in range(PARALLEL):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover (a child)
            code = 1
            try:
                os.close(read_end)
                with Registry(registry.db_name).cursor() as cr:
                    cr.execute("SELECT pg_backend_pid()")
                    backend = cr.fetchone()[0]
                    env = odoo.api.Environment(cr, uid, QUIET)
                    mine = orders[share::PARALLEL]
                    for start in range(0, len(mine), CREATE_BATCH):
                        env["sale.order"].create(mine[start : start + CREATE_BATCH])
                    mine = contacts[share::PARALLEL]
                    for start in range(0, len(mine), CREATE_BATCH * 10):
                        env["mailing.contact"].create(
                            [{**c, "list_ids": link} for c in mine[start : start + CREATE_BATCH * 10]]
                        )
                    cr.commit()
                    cpu = _cpu_seconds(backend, registry.db_name)
                    os.write(write_end, b"" if cpu is None else str(cpu).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        children[pid] = read_end
    odoo_cpu = postgres_cpu = 0.0
    failed = 0
    for pid, read_end in children.items():
        _pid, status, usage = os.wait4(pid, 0)
        with os.fdopen(read_end) as pipe:
            backend_cpu = pipe.read()
        # None when PostgreSQL runs on another machine
        postgres_cpu = postgres_cpu + float(backend_cpu) if backend_cpu and postgres_cpu is not None else None
        odoo_cpu += usage.ru_utime + usage.ru_stime
        failed += bool(status)
    elapsed = time.perf_counter() - began
    if failed:
        raise SystemExit(f"{failed} baseline process(es) failed")
    return elapsed, len(orders), len(contacts), odoo_cpu, postgres_cpu


def _cpu_seconds(pid, db):
    """CPU time (user + system) the PostgreSQL backend ``pid`` serving ``db`` has used so far
    (``/proc``), or None when it is not one of this machine's processes (PostgreSQL on
    another machine, or in a container: another process may have that number here)."""
    proc = pathlib.Path(f"/proc/{pid}")
    try:
        title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        fields = (proc / "stat").read_text().rsplit(")", 1)[1]
    except OSError:
        return None
    if not title.startswith("postgres") or f" {db} " not in title:
        return None
    fields = fields.split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def campaign_server(db, log):
    """Prefork Odoo on the campaign's database, with queue_job's runner at ``CHANNELS``; its
    scheduled actions off (a throw-away copy), so that only the campaign's jobs run."""
    with closing(odoo.sql_db.db_connect(db).cursor()) as cr:
        cr.execute("UPDATE ir_cron SET active = false")
        cr.commit()
    # an HTTP worker per job at a time, and one for the rest (as config/odoo.conf: root:2, 3 workers)
    server = PreforkServer(db, free_port(), log, workers=PARALLEL + 1, quiet=True)
    server.channels = CHANNELS
    server.start()
    # a long-running deployment's job runner listens already: wait for this one's
    ready = f"queue job runner ready for db {db}"
    deadline = time.monotonic() + 120
    while ready not in (log.read_text(errors="replace") if log.exists() else ""):
        if time.monotonic() > deadline:
            server.stop()
            raise SystemExit(f"queue_job's runner of the served Odoo did not start (see {log})")
        time.sleep(0.2)
    return server


def main():
    config.parse_config(["-d", CAMPAIGN_DB, "--addons-path", str(ROOT / "addons"), *db_args()])
    copy_database(DB, CAMPAIGN_DB)
    try:
        registry = Registry(CAMPAIGN_DB)
        began = time.perf_counter()
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            uid = prepare(env).id
            cr.commit()
            # the daily refresh of the maintenance terms (its cron), committed
            refresh_began = time.perf_counter()
            env["maintenance.renewal.term"]._cron_refresh()
            cr.commit()
            refresh = time.perf_counter() - refresh_began
            analyze(cr)
            cr.commit()
        print(
            f"prepared {ACCOUNTS:,} accounts and {ACCOUNTS * MEMBERS:,} members in "
            f"{time.perf_counter() - began:.1f} s (term refresh: {refresh:.1f} s, not measured)"
        )
        copy_database(CAMPAIGN_DB, BASELINE_DB)

        raw, raw_orders, raw_contacts, raw_odoo_cpu, raw_pg_cpu = run_baseline(Registry(BASELINE_DB), uid)
        Registry.delete(BASELINE_DB)
        odoo.sql_db.close_db(BASELINE_DB)
        server = campaign_server(CAMPAIGN_DB, pathlib.Path(tempfile.gettempdir()) / f"{CAMPAIGN_DB}.log")
        try:
            build, previewed, clicked, figures, made = run_campaign(Registry(CAMPAIGN_DB), uid)
        finally:
            server.stop()
        errors = server.errors()
    finally:
        for name in (BASELINE_DB, CAMPAIGN_DB):
            drop_database(name)

    complete = (
        made["state"] == "launched"
        and made["quotations"] == raw_orders == ACCOUNTS
        and made["lines"] == figures["term_count"] == ACCOUNTS
        and made["contacts"] == raw_contacts == figures["contact_count"]
    )
    ratio = raw / build
    print(
        f"baseline, batched sale.order + mailing.contact creation by {PARALLEL} processes: {raw:.1f} s for "
        f"{raw_orders:,} quotations and {raw_contacts:,} contacts ({raw_orders / raw:.1f} accounts/s)"
    )
    cores = len(os.sched_getaffinity(0))
    if raw_pg_cpu is None:
        print(f"baseline CPU: Odoo {raw_odoo_cpu:.1f} s (PostgreSQL runs on another machine)")
    else:
        print(
            f"baseline CPU: Odoo {raw_odoo_cpu:.1f} s + PostgreSQL {raw_pg_cpu:.1f} s on {cores} core(s): "
            f"the same creations take at least {(raw_odoo_cpu + raw_pg_cpu) / cores:.1f} s of wall time here"
        )
    print(
        f"campaign: preview {previewed:.1f} s, launch clicked at {clicked:.1f} s, launched at {build:.1f} s "
        f"({made['jobs']} jobs, {PARALLEL} at a time, {made['job_seconds']:.1f} s of work in "
        f"{made['job_span']:.1f} s; {made['job_kinds']}): {made['quotations']:,} quotations, "
        f"{made['recipients']:,} recipients, {made['contacts']:,} contacts ({made['quotations'] / build:.1f} accounts/s)"
    )
    print(f"campaign rate / baseline rate: {ratio:.2f} (goal >= {GOAL_RATIO})")
    if not complete:
        print(
            f"INCOMPLETE: preview {figures}, made {made}, baseline {raw_orders} quotations {raw_contacts} contacts"
        )
    if errors:
        print(f"{len(errors)} ERROR line(s) in the served Odoo's log, first ones:")
        for line in errors[:5]:
            print(f"  {line}")
    ok_time = report(
        f"renewal campaign, {ACCOUNTS:,} accounts, committed",
        f"<= {GOAL_SECONDS:.0f} s",
        f"{build:.1f} s",
        build <= GOAL_SECONDS and complete and not errors,
    )
    ok_ratio = report(
        "renewal campaign / raw batched creation",
        f">= {GOAL_RATIO}",
        f"{ratio:.2f} (raw {raw:.1f} s, campaign {build:.1f} s)",
        ratio >= GOAL_RATIO and complete,
    )
    return 0 if ok_time and ok_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
