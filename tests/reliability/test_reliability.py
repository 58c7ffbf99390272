"""Reliability scenarios on the end-to-end world: faults, crashes, restarts, repeats.

Each scenario ends with exact counts (nothing lost, nothing duplicated) and prints one line.
They run after tests/e2e on the same Odoo server and FlexNet simulator.
"""

import itertools
import threading

import pytest
import requests
from e2e_world import DB, SCENARIO_LINES, SIM_PASSWORD, SIM_USER, wait_for
from flexnet_client import BasicAuth, FlexNetClient

import odoo
from odoo.modules.registry import Registry


def _say(request, line):
    SCENARIO_LINES.append(f"{request.node.name}: {line}")


def _fno(world):
    return FlexNetClient(world["sim"], BasicAuth(SIM_USER, SIM_PASSWORD), timeout=10)


def _arm(world, operation, fault, count):
    requests.post(
        f"{world['sim']}/admin/faults",
        json={"operation": operation, "fault": fault, "count": count},
        auth=(SIM_USER, SIM_PASSWORD),
        timeout=10,
    ).raise_for_status()


def _clear(world):
    requests.delete(f"{world['sim']}/admin/faults", auth=(SIM_USER, SIM_PASSWORD), timeout=10)


@pytest.fixture
def backend_id(world):
    [backend] = world["admin"]("flexnet.backend", "search", domain=[("name", "!=", False)], limit=1)
    yield backend
    _clear(world)


def _counts(world, backend):
    admin = world["admin"]
    members = admin(
        "res.partner",
        "search_count",
        domain=[("flexnet_backend_id", "=", backend), ("flexnet_user_name", "!=", False)],
    )
    lines = admin(
        "flexnet.entitlement.line",
        "search_count",
        domain=[("backend_id", "=", backend), ("line_type", "=", "entitlement")],
    )
    fno = _fno(world)
    return (members, lines), (len(list(fno.iter_users())), len(list(fno.iter_line_items())))


def _runs(world, run_ids):
    return world["admin"]("flexnet.sync.run", "read", ids=run_ids, fields=["kind", "state", "error_log"])


def test_flexnet_faults_during_sync(world, backend_id, request):
    _arm(world, "getUsersQuery", "http503", 20)  # more than the client's retries
    first = _runs(world, world["admin"]("flexnet.backend", "sync_all", ids=[backend_id]))
    failed = [run["kind"] for run in first if run["state"] == "failed"]
    assert failed == ["users"], first
    _clear(world)
    again = _runs(world, world["admin"]("flexnet.backend", "sync_all", ids=[backend_id]))
    assert all(run["state"] == "done" for run in again), again
    odoo_counts, fno_counts = _counts(world, backend_id)
    assert odoo_counts == fno_counts
    _say(
        request,
        f"FNO faults during sync: users run failed, rerun done; members/lines {odoo_counts} = FNO {fno_counts}",
    )


def test_concurrent_syncs(world, backend_id, request):
    results = []

    def sync():
        results.append(world["admin"]("flexnet.backend", "sync_all", ids=[backend_id]))

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    runs = [run for run_ids in results for run in _runs(world, run_ids)]
    busy = [run for run in runs if run["state"] == "failed"]
    assert all("another synchronisation" in (run["error_log"] or "") for run in busy), busy
    odoo_counts, fno_counts = _counts(world, backend_id)
    assert odoo_counts == fno_counts
    _say(
        request,
        f"concurrent syncs: {len(runs)} runs, {len(busy)} refused as busy; counts {odoo_counts} = FNO {fno_counts}",
    )


def test_job_mode_sync_under_the_runner_with_wide_channels(world, backend_id, request):
    """A synchronisation in job mode, run by queue_job's runner with four workers per channel,
    reads and imports the kinds one after another and ends as a synchronous one does."""
    server, admin = world["server"], world["admin"]
    server.stop()
    server.channels = "root:4,root.flexnet:4"
    server.start()
    try:
        before = admin("flexnet.sync.run", "search", domain=[], order="id desc", limit=1)
        admin("flexnet.backend", "action_sync_full", ids=[backend_id])
        admin("flexnet.backend", "action_sync_full", ids=[backend_id])  # started twice: runs once
        domain = [("backend_id", "=", backend_id), ("id", ">", before[0] if before else 0)]
        fields = ["kind", "state", "date_start", "date_end", "error_log", "fetched_count", "read_count",
                  "total_count", "page_count", "failed_count"]  # fmt: skip

        def closed():
            runs = admin("flexnet.sync.run", "search_read", domain=domain, fields=fields, order="id")
            return runs if len(runs) >= 4 and all(run["state"] != "running" for run in runs) else None

        runs = wait_for("the job-mode synchronisation", closed, timeout=300)
        assert [run["kind"] for run in runs] == ["products", "accounts", "users", "lines"], runs
        assert all(run["state"] == "done" for run in runs), runs
        for previous, following in itertools.pairwise(runs):
            assert following["date_start"] >= previous["date_end"], (previous, following)
        jobs = admin(
            "queue.job",
            "search_read",
            domain=[("model_name", "in", ["flexnet.backend", "flexnet.sync.run"]), ("state", "!=", "done")],
            fields=["name", "state"],
        )
        assert jobs == [], jobs
        same = ["kind", "state", "fetched_count", "read_count", "total_count", "page_count", "failed_count"]
        synchronous = _runs(world, admin("flexnet.backend", "sync_all", ids=[backend_id]))
        by_kind = {
            run["kind"]: {key: run[key] for key in same}
            for run in admin("flexnet.sync.run", "read", ids=[r["id"] for r in synchronous], fields=same)
        }
        assert [{key: run[key] for key in same} for run in runs] == [by_kind[run["kind"]] for run in runs]
        odoo_counts, fno_counts = _counts(world, backend_id)
        assert odoo_counts == fno_counts
    finally:
        server.stop()
        server.channels = None
        server.start()
    _say(
        request,
        f"job-mode sync, channels root:4,root.flexnet:4, started twice: 4 runs in order, as a synchronous "
        f"run; counts {odoo_counts} = FNO {fno_counts}",
    )


def _order(world, codes, account="NW-0042"):
    admin, sales = world["admin"], world["sales"]
    [partner] = admin("res.partner", "search", domain=[("flexnet_account_id", "=", account)])
    products = {
        p["default_code"]: p["id"]
        for p in admin(
            "product.product", "search_read", domain=[("default_code", "in", codes)], fields=["default_code"]
        )
    }
    [order_id] = sales(
        "sale.order",
        "create",
        vals_list=[
            {
                "partner_id": partner,
                "order_line": [(0, 0, {"product_id": products[c], "product_uom_qty": 1}) for c in codes],
            }
        ],
    )
    return order_id


def _outbox(world, name):
    return requests.get(
        f"{world['sim']}/admin/outbox",
        params={"entitlement_id": name},
        auth=(SIM_USER, SIM_PASSWORD),
        timeout=10,
    ).json()


def test_flexnet_refusal_during_push_then_retry(world, request):
    sales = world["sales"]
    order_id = _order(world, ["DVS-HA"])
    _arm(world, "createSimpleEntitlement", "failure", 1)
    sales("sale.order", "action_confirm", ids=[order_id])
    state = lambda: sales(  # noqa: E731
        "sale.order", "read", ids=[order_id], fields=["flexnet_state", "name", "flexnet_entitlement_ref"]
    )[0]
    wait_for("the refused push", lambda: state()["flexnet_state"] == "failed")
    name = state()["flexnet_entitlement_ref"]  # the entitlement ID the order is pushed under
    assert _fno(world).get_entitlement(name) is None
    sales("sale.order", "action_flexnet_push", ids=[order_id])
    wait_for("the second push", lambda: state()["flexnet_state"] == "done")
    assert len(_fno(world).get_entitlement(name).line_items) == 1
    assert len(_outbox(world, name)) == 1
    _say(request, f"FNO refusal during push: order {name} failed, pushed again: 1 entitlement, 1 e-mail")


def test_odoo_restart_while_jobs_are_queued(world, request):
    server = world["server"]
    order_id = _order(world, ["CADS-RENDER"])
    server.stop()
    # confirmed while Odoo serves nobody: the push job waits in the queue
    registry = Registry(DB)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        order = env["sale.order"].browse(order_id)
        order.action_confirm()
        pending = env["queue.job"].search_count(
            [("state", "=", "pending"), ("func_string", "like", f"({order_id},)")]
        )
        cr.commit()
    assert pending == 1
    server.start()
    sales = world["sales"]
    wait_for(
        "the queued push after the restart",
        lambda: (
            sales("sale.order", "read", ids=[order_id], fields=["flexnet_state"])[0]["flexnet_state"]
            == "done"
        ),
        timeout=120,
    )
    [order] = sales("sale.order", "read", ids=[order_id], fields=["flexnet_entitlement_ref"])
    name = order["flexnet_entitlement_ref"]
    assert len(_fno(world).get_entitlement(name).line_items) == 1
    assert len(_outbox(world, name)) == 1
    _say(request, f"Odoo restart with a queued push: {name} pushed once after the restart, 1 e-mail")


def _media_job(world):
    order_id = _order(world, ["CADS-MEDIA-DVD"])
    world["sales"]("sale.order", "action_confirm", ids=[order_id])
    [job] = world["admin"](
        "media.production.job", "search_read", domain=[("order_id", "=", order_id)], fields=["id"]
    )
    return order_id, job["id"]


def test_duplicate_and_out_of_order_station_reports(world, request):
    station, admin = world["station"], world["admin"]
    order_id, job_id = _media_job(world)
    claimed = station("media.production.job", "station_claim", station="eu1-a", limit=10)
    assert job_id in [job["id"] for job in claimed], claimed
    lease = next(job["lease"] for job in claimed if job["id"] == job_id)
    report = {"job_id": job_id, "lease": lease}
    verified = {
        "copies": 1,
        "checksums_verified": True,
        "discs": [{"serial": "S1", "verified": True}],
        "image_md5": "c" * 32,
    }
    assert station("media.production.job", "station_report_success", **report, **verified) == "done"
    assert station("media.production.job", "station_report_success", **report, **verified) == "done"
    assert station("media.production.job", "station_progress", **report, state="producing") == "done"
    assert station("media.production.job", "station_report_failure", **report, reason="late") == "done"
    [job] = admin(
        "media.production.job", "read", ids=[job_id], fields=["state", "copies_done", "production_id"]
    )
    [production] = admin(
        "mrp.production", "read", ids=[job["production_id"][0]], fields=["state", "qty_produced"]
    )
    assert (job["state"], job["copies_done"]) == ("done", 1)
    assert (production["state"], production["qty_produced"]) == ("done", 1.0), production
    deliveries = admin(
        "stock.picking",
        "search_read",
        domain=[("sale_id", "=", order_id), ("picking_type_code", "=", "outgoing")],
        fields=["state"],
    )
    assert [d["state"] for d in deliveries] == ["assigned"]
    _say(
        request,
        "duplicate and out-of-order station reports: job done once, 1 copy, MO done once, delivery ready",
    )


def test_station_crash_mid_job(world, request):
    station, admin = world["station"], world["admin"]
    _order_id, job_id = _media_job(world)
    claimed = station(
        "media.production.job", "station_claim", station="eu1-crashed", limit=10, lease_seconds=60
    )
    assert job_id in [job["id"] for job in claimed]
    stale = next(job["lease"] for job in claimed if job["id"] == job_id)
    # the station dies here: no report, no release; its lease runs out (time passes)
    with Registry(DB).cursor() as cr:
        cr.execute(
            "UPDATE media_production_job SET lease_until = now() AT TIME ZONE 'UTC' - interval '1 second' "
            "WHERE id = %s",
            [job_id],
        )
    reclaimed = station("media.production.job", "station_claim", station="eu1-b", limit=10)
    assert [job["id"] for job in reclaimed] == [job_id]
    # the crashed station comes back with its old lease: refused, nothing changes
    stale_report = station.call(
        "media.production.job", "station_report_failure", job_id=job_id, reason="stale", lease=stale
    )
    assert stale_report.status_code == 403, stale_report.text
    lease = reclaimed[0]["lease"]
    report = {
        "job_id": job_id,
        "lease": lease,
        "copies": 1,
        "checksums_verified": True,
        "discs": [{"serial": "S1", "verified": True}],
        "image_md5": "c" * 32,
    }
    assert station("media.production.job", "station_report_success", **report) == "done"
    late = station.call("media.production.job", "station_report_success", **report)
    assert late.status_code == 200 and late.json() == "done"
    [job] = admin("media.production.job", "read", ids=[job_id], fields=["state", "claimed_by"])
    assert (job["state"], job["claimed_by"]) == ("done", "eu1-b"), job
    _say(
        request,
        "station crash mid-job: lease expired, claimed again by eu1-b, stale report refused, done once",
    )


def _unquoted_term(env):
    """The open maintenance term ending last that nothing quotes (the demo has some beyond the
    end-to-end story's campaign window)."""
    term = env["maintenance.renewal.term"].search(
        [
            ("state", "in", ("active", "expiring")),
            ("maintenance_product_id", "!=", False),
            ("renewal_line_ids", "=", False),
        ],
        order="date_end desc",
        limit=1,
    )
    assert term, "the demo has maintenance nobody quoted"
    return term


@pytest.mark.parametrize("second_starts", ["while the first runs", "once the first committed"])
def test_two_launches_quote_the_same_terms_at_once(world, backend_id, request, second_starts):
    """Two campaigns launched together target the same terms (neither launch sees the other's):
    each launches the accounts in its own transaction. The second to claim the terms (waiting
    for the first if it still runs) fails on the concurrent update and, run again as queue_job
    or Odoo runs it again, quotes none of them, writes to nobody and no longer targets them."""
    world["admin"]("flexnet.backend", "sync_all", ids=[backend_id])  # the terms of FlexNet's lines
    registry = Registry(DB)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        manager = env.ref("maintenance_renewal.user_demo_manager")
        free = _unquoted_term(env)
        window = {"expiring_from": free.date_end, "expiring_to": free.date_end}
        campaigns = (
            env["maintenance.renewal.campaign"]
            .with_user(manager)
            .create([{"name": f"Launched together {n}", **window} for n in ("A", "B")])
        )
        campaigns.action_preview()
        term_ids, account_ids = campaigns[0].term_ids.ids, campaigns[0].term_ids.account_id.ids
        targeted_alike = campaigns[1].term_ids.ids == term_ids
        cr.commit()

    def launch(cr, campaign):
        env = odoo.api.Environment(cr, manager.id, {})
        env["maintenance.renewal.campaign"].browse(campaign)._launch_accounts(
            env["res.partner"].browse(account_ids)
        )

    def made(campaign):
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            found = env["maintenance.renewal.campaign"].browse(campaign)
            return len(found.order_ids), len(found.recipient_ids), sorted(found.term_ids.ids)

    first, second = campaigns.ids
    outcome = {}
    try:
        assert targeted_alike
        with registry.cursor() as cr_a, registry.cursor() as cr_b:
            # B's snapshot is taken before A's quotations are committed
            cr_b.execute("SELECT pg_backend_pid()")
            b_pid = cr_b.fetchone()[0]
            launch(cr_a, first)

            def launch_b():
                try:
                    launch(cr_b, second)
                    outcome["done"] = True
                except Exception as error:  # what the second launch met is the result
                    outcome["error"] = error

            if second_starts == "once the first committed":
                cr_a.commit()
                launch_b()
                waited = True  # nothing to wait for
            else:
                thread = threading.Thread(target=launch_b, daemon=True)
                thread.start()

                def b_waits_for_a_lock():
                    with registry.cursor() as cr:  # the activity as of now (a snapshot per transaction)
                        cr.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [b_pid])
                        return cr.fetchone()[0] == "Lock" or outcome

                wait_for(
                    "the second launch waiting for the first one's claim", b_waits_for_a_lock, timeout=60
                )
                waited = not outcome
                cr_a.commit()
                thread.join(timeout=60)
                assert not thread.is_alive(), "the second launch ends once the first one is committed"
            cr_b.rollback()
        assert waited, f"the second launch waits for the first one's claim: {outcome}"
        assert getattr(outcome.get("error"), "pgcode", None) == "40001", outcome  # serialization_failure
        with registry.cursor() as cr:
            launch(cr, second)  # run again
            cr.commit()
        orders_a, recipients_a, terms_a = made(first)
        orders_b, recipients_b, terms_b = made(second)
    finally:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            lines = env["sale.order.line"].search(
                [("renewal_term_id", "in", term_ids), ("order_id.state", "!=", "cancel")]
            )
            quoted = sorted(lines.renewal_term_id.ids)
            # leave the world as it was for the scenarios after this one
            lines.order_id.unlink()
            env["maintenance.renewal.campaign"].browse(campaigns.ids).unlink()
            cr.commit()
    assert quoted == sorted(term_ids) and len(lines) == len(term_ids), "each term quoted once"
    assert (orders_a, terms_a) == (len(account_ids), sorted(term_ids)) and recipients_a
    assert (orders_b, recipients_b, terms_b) == (0, 0, []), "the second launch left them to the first"
    _say(
        request,
        f"two launches quoting the same {len(term_ids)} term(s), the second starting {second_starts}: it "
        f"failed on the concurrent update and, run again, quoted nothing, wrote to nobody and dropped "
        f"the terms; each term quoted once",
    )


def test_a_term_refresh_beside_a_launch(world, backend_id, request):
    """The daily refresh of the maintenance terms, started before a launch commits, ends as
    usual once it has: a launch writes its claims, not the terms it quotes."""
    world["admin"]("flexnet.backend", "sync_all", ids=[backend_id])
    registry = Registry(DB)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        manager = env.ref("maintenance_renewal.user_demo_manager")
        free = _unquoted_term(env)
        campaign = (
            env["maintenance.renewal.campaign"]
            .with_user(manager)
            .create(
                {
                    "name": "Launched beside a refresh",
                    "expiring_from": free.date_end,
                    "expiring_to": free.date_end,
                }
            )
        )
        campaign.action_preview()
        campaign_id, term_ids = campaign.id, campaign.term_ids.ids
        cr.commit()
    try:
        with registry.cursor() as cr_refresh, registry.cursor() as cr_launch:
            cr_refresh.execute("SELECT 1")  # the refresh's snapshot: before the launch commits
            env = odoo.api.Environment(cr_launch, manager.id, {})
            campaign = env["maintenance.renewal.campaign"].browse(campaign_id)
            campaign._launch_accounts(campaign.term_ids.account_id)
            cr_launch.commit()
            odoo.api.Environment(cr_refresh, odoo.SUPERUSER_ID, {})["maintenance.renewal.term"]._refresh()
            cr_refresh.commit()
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            quoted = (
                env["maintenance.renewal.campaign"].browse(campaign_id).order_ids.order_line.renewal_term_id
            )
            assert sorted(quoted.ids) == sorted(term_ids)
    finally:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            campaign = env["maintenance.renewal.campaign"].browse(campaign_id)
            campaign.order_ids.unlink()
            campaign.unlink()
            cr.commit()
    _say(request, f"a term refresh beside a launch: refreshed as usual; {len(term_ids)} term(s) quoted")
