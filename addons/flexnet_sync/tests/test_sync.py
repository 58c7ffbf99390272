from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.flexnet_sync.sync import KINDS
from odoo.addons.flexnet_sync.sync import engine as engine_module

from .common import DEMO_ACCOUNTS, DEMO_USERS, FlexnetSimulatorCase


@tagged("post_install", "-at_install")
class TestSync(FlexnetSimulatorCase):
    def _bound(self, model, field="flexnet_backend_id"):
        return self.env[model].with_context(active_test=False).search([(field, "=", self.backend.id)])

    def _lines(self, line_type="entitlement"):
        return self.env["flexnet.entitlement.line"].search(
            [("backend_id", "=", self.backend.id), ("line_type", "=", line_type)]
        )

    def assertExactCounts(self):
        accounts = self._bound("res.partner").filtered("flexnet_account_id")
        self.assertEqual(sorted(accounts.mapped("flexnet_account_id")), sorted(a[0] for a in DEMO_ACCOUNTS))
        members = self._bound("res.partner").filtered("flexnet_user_name")
        self.assertEqual(sorted(members.mapped("email")), sorted(u[3] for u in DEMO_USERS))
        self.assertEqual(len(self._bound("product.template")), self.demo_part_count())
        self.assertEqual(len(self._lines()), self.demo_line_count())
        self.assertEqual(len(self._lines("maintenance")), self.demo_maintenance_count())

    def test_full_sync_reproduces_the_site(self):
        runs = self.backend.sync_all()
        self.assertEqual(runs.mapped("state"), ["done"] * 4, runs.mapped("error_log"))
        self.assertExactCounts()
        by_kind = {run.kind: run for run in runs}
        self.assertEqual(
            by_kind["lines"].created_count, self.demo_line_count() + self.demo_maintenance_count()
        )
        self.assertGreater(by_kind["lines"].page_count, 1)
        self.assertEqual(by_kind["accounts"].failed_count, 0)

        northwind = self.env["res.partner"].search(
            [("flexnet_backend_id", "=", self.backend.id), ("flexnet_account_id", "=", "NW-0042")]
        )
        self.assertTrue(northwind.is_company)
        self.assertEqual(northwind.country_id.code, "GB")
        carla = northwind.child_ids.filtered(lambda p: p.email == "carla@northwind.example.com")
        self.assertEqual(carla.flexnet_roles, "Portal Admin")
        self.assertTrue(carla.flexnet_can_login and carla.flexnet_last_login)
        partner = self.env["res.partner"].search([("flexnet_account_id", "=", "SSP-900")])
        self.assertEqual(partner.flexnet_account_type, "CHANNEL_PARTNER")

        media = self.env["product.template"].search([("default_code", "=", "CADS-MEDIA-DVD")])
        self.assertEqual(
            (media.flexnet_kind, media.type, media.flexnet_title), ("media_kit", "consu", "CAD Studio")
        )
        self.assertEqual(media.flexnet_title_tmpl_id.default_code, "CADS-PRO-LIC")
        self.assertEqual(
            self.env["product.template"].search([("default_code", "=", "CADS-MNT-1Y")]).flexnet_term_months,
            12,
        )

        lines = {line.activation_id: line for line in self._lines()}
        today = fields.Date.context_today(self.env.user)
        self.assertEqual(lines["ENT-NW-2001-L1"].maintenance_end, today + timedelta(days=45))
        self.assertEqual(lines["ENT-NW-2001-L1"].maintenance_status, "expiring")
        # ended 20 days ago: in the company's grace (30 days by default), not yet past due
        self.assertEqual(lines["ENT-NW-2002-L1"].maintenance_status, "grace")
        self.assertEqual(lines["ENT-INI-4001-L1"].maintenance_status, "past_due")
        self.assertEqual(lines["ENT-GLX-3001-L1"].maintenance_status, "active")
        self.assertEqual(lines["ENT-NW-2001-L2"].maintenance_status, "none")
        Line = self.env["flexnet.entitlement.line"]
        mine = [("backend_id", "=", self.backend.id)]
        past_due = Line.search([*mine, ("maintenance_status", "=", "past_due")])
        self.assertEqual(past_due.mapped("activation_id"), ["ENT-INI-4001-L1"])
        in_grace = Line.search([*mine, ("maintenance_status", "=", "grace")])
        self.assertEqual(in_grace.mapped("activation_id"), ["ENT-NW-2002-L1"])
        # a shorter grace: past due the same on the line and in its search
        self.backend.company_id.maintenance_grace_days = 10
        lines["ENT-NW-2002-L1"].invalidate_recordset(["maintenance_status"])
        self.assertEqual(lines["ENT-NW-2002-L1"].maintenance_status, "past_due")
        past_due = Line.search([*mine, ("maintenance_status", "in", ("past_due",))])
        self.assertEqual(sorted(past_due.mapped("activation_id")), ["ENT-INI-4001-L1", "ENT-NW-2002-L1"])
        self.assertFalse(Line.search([*mine, ("maintenance_status", "=", "grace")]))

        entitled = self.env["flexnet.entitled.product"].search([("partner_id", "=", northwind.id)])
        self.assertEqual(
            sorted(entitled.product_id.mapped("default_code")), ["CADS-PRO-LIC", "CADS-SEAT", "DVS-LIC"]
        )
        self.assertEqual(entitled.filtered(lambda e: e.product_id.default_code == "CADS-PRO-LIC").seats, 4)
        domain = self.env["flexnet.entitled.product"]._entitled_domain(carla)
        self.assertEqual(self.env["product.product"].search(domain), entitled.product_id)

    def test_media_kits_keep_their_esd_item_and_accounts_their_state(self):
        runs = self.backend.sync_all()
        self.assertEqual(runs.mapped("state"), ["done"] * 4, runs.mapped("error_log"))
        Template = self.env["product.template"]
        cads, dvs = (
            Template.search([("default_code", "=", code)]) for code in ("CADS-MEDIA-DVD", "DVS-MEDIA-DVD")
        )
        self.assertEqual(
            (cads.flexnet_esd_item, cads.flexnet_esd_item_synced),
            ("CADS-2025-WIN64", True),
            (
                runs.read(["kind", "created_count", "updated_count", "unchanged_count", "fetched_count"]),
                Template.with_context(active_test=False)
                .search([("default_code", "like", "MEDIA")])
                .read(["default_code", "flexnet_backend_id", "flexnet_esd_item", "active"]),
                self.client().get_product("CADS-MEDIA-DVD")
                if hasattr(self.client(), "get_product")
                else None,
                [p.attributes for p in self.client().iter_products(part_number="CADS-MEDIA-DVD")],
            ),
        )
        self.assertFalse(Template.search([("default_code", "=", "CADS-PRO-LIC")]).flexnet_esd_item)
        # FlexNet stops naming the item of the DataVault kit: the value set in Odoo stays
        self.sim_update("products", ["DVS-MEDIA-DVD"], {"esd_item": ""})
        self.backend.sync_all(kinds=("products",))
        self.assertEqual((dvs.flexnet_esd_item, dvs.flexnet_esd_item_synced), ("DVS-31-LINUX", False))
        dvs.flexnet_esd_item = "DVS-31-ANY"
        self.backend.sync_all(kinds=("products",))
        self.assertEqual(dvs.flexnet_esd_item, "DVS-31-ANY")
        # while FlexNet's value wins for a kit FlexNet names an item for
        cads.flexnet_esd_item = "EDITED"
        self.sim_update("products", ["CADS-MEDIA-DVD"], {"description": "CAD Studio DVD, 2025"})
        self.backend.sync_all(kinds=("products",))
        self.assertEqual(cads.flexnet_esd_item, "CADS-2025-WIN64")
        # the FlexNet account profile's state (code) reaches the customer
        acme = self.env["res.partner"].search([("flexnet_account_id", "=", "ACME-001")])
        self.assertEqual((acme.street, acme.zip, acme.state_id.code), ("400 West Lake Street", "60606", "IL"))
        self.assertEqual(acme.state_id.country_id.code, "US")

    def test_entitlements_and_lines_belong_to_their_backends_company(self):
        """The sync gives entitlements and lines their backend's company as it creates them
        (not computed record by record): the same value, which follows the backend, and no
        other company is accepted."""
        computed = []

        def count(model):
            compute = model._compute_company_id

            def counting(records):
                computed.extend(records)
                return compute(records)

            return counting

        other = self.env["res.company"].create({"name": "FlexNet Europe"})
        self.backend.company_id = other
        Entitlement, Line = self.registry["flexnet.entitlement"], self.registry["flexnet.entitlement.line"]
        with (
            patch.object(Entitlement, "_compute_company_id", count(Entitlement)),
            patch.object(Line, "_compute_company_id", count(Line)),
        ):
            runs = self.backend.sync_all()
        self.assertEqual(runs.mapped("state"), ["done"] * 4, runs.mapped("error_log"))
        lines = self._lines() | self._lines("maintenance")
        self.assertEqual(len(lines), self.demo_line_count() + self.demo_maintenance_count())
        self.assertEqual((lines.company_id, lines.entitlement_id.company_id), (other, other))
        self.assertEqual(computed, [], "the company is given at creation, not computed")
        again = self.backend.sync_all()
        self.assertEqual(sum(again.mapped("updated_count")), 0)
        self.backend.company_id = self.env.company
        self.assertEqual(
            (lines.company_id, lines.entitlement_id.company_id), (self.env.company, self.env.company)
        )
        for record in (lines[0], lines.entitlement_id[0]):
            with self.assertRaises(ValidationError) as raised:
                record.company_id = other
                record.flush_recordset()
            self.assertIn("company of its FlexNet backend", str(raised.exception))
        with self.assertRaises(ValidationError):
            self.env["flexnet.entitlement.line"].create(
                dict(lines[0].copy_data()[0], activation_id="ELSEWHERE-1", company_id=other.id)
            )
        self.assertEqual((lines.company_id, lines.entitlement_id.company_id), (self.env.company,) * 2)

    def test_second_run_changes_nothing(self):
        self.backend.sync_all()
        runs = self.backend.sync_all()
        for run in runs:
            self.assertEqual((run.created_count, run.updated_count, run.failed_count), (0, 0, 0), run.kind)
            self.assertEqual(run.unchanged_count, run.fetched_count, run.kind)
        self.assertExactCounts()

    def test_a_long_run_gives_postgresql_statistics_of_its_own_rows(self):
        # inside the run's transaction autovacuum sees none of the new rows: without an
        # ANALYZE by the run, foreign-key checks would be planned for the tables' old size
        def estimated(table):
            self.env.cr.execute(SQL("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", table))
            return self.env.cr.fetchone()[0]

        self.patch(engine_module, "ANALYZE_FIRST", 1)
        self.backend.sync_all(kinds=("products", "accounts", "users"))
        self.env.cr.execute("SELECT count(*) FROM flexnet_entitlement_line")
        before, estimated_before = self.env.cr.fetchone()[0], estimated("flexnet_entitlement_line")
        self.backend.sync_all(kinds=("lines",))
        self.env.cr.execute("SELECT count(*) FROM flexnet_entitlement_line")
        added = self.env.cr.fetchone()[0] - before
        self.assertEqual(added, self.demo_line_count() + self.demo_maintenance_count())
        # analysed at least once the run had stored half of its rows (at every doubling)
        self.assertGreaterEqual(estimated("flexnet_entitlement_line") - max(estimated_before, 0), added / 2)

    def test_incremental_picks_up_only_changes(self):
        self.backend.watermark_margin = 0  # no overlap: exactly what changed (see test_reconcile)
        self.backend.sync_all()
        watermark = self.backend.watermark_lines
        self.assertTrue(watermark)
        nothing = self.backend.sync_incremental()
        by_kind = {run.kind: run for run in nothing}
        for kind in ("accounts", "users", "lines"):
            self.assertEqual(by_kind[kind].fetched_count, 0, kind)
        # products are filtered by day only: same-day products come again, unchanged
        self.assertEqual((by_kind["products"].created_count, by_kind["products"].updated_count), (0, 0))
        seats = {line.activation_id: line.seats for line in self._lines()}
        touched = self.sim_touch("line_items", 2)
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual(
            (run.state, run.fetched_count, run.updated_count, run.created_count),
            (
                "done",
                2
                + sum(
                    len(self._lines().filtered(lambda li, key=key: li.activation_id == key).maintenance_ids)
                    for key in touched
                ),
                2,
                0,
            ),
        )
        for key in touched:
            line = self._lines().filtered(lambda li, key=key: li.activation_id == key)
            self.assertEqual(line.seats, seats[key] + 1)
        self.assertGreater(self.backend.watermark_lines, watermark)
        self.assertExactCounts()

    def test_faults_mid_sync_never_duplicate_and_a_rerun_completes(self):
        self.backend.sync_all(kinds=("products", "accounts", "users"))
        self.backend.retries = 0  # retries themselves are the client's tests' business
        faults = [
            ("http500", {}),
            ("delay", {"delay": 11}),  # Odoo's test mode raises client timeouts to 10 s
            ("malformed", {}),
            ("failure", {}),
            ("partial_failure", {}),
            ("http401", {}),
        ]
        for fault, options in faults:
            with self.subTest(fault=fault):
                self.sim_clear_faults()
                self.sim_arm("getEntitlementLineItemPropertiesQuery", fault, skip=1, **options)
                run = self.backend.sync_all(kinds=("lines",))
                self.assertEqual(run.state, "failed")
                self.assertTrue(run.error_log)
                self.assertFalse(self.backend.watermark_lines, "a failed run must not move the watermark")
                self.assertLess(len(self._lines()), self.demo_line_count())
                activation_ids = self._lines().mapped("activation_id")
                self.assertEqual(len(activation_ids), len(set(activation_ids)))
        self.sim_clear_faults()
        runs = self.backend.sync_all()
        self.assertEqual(runs.mapped("state"), ["done"] * 4)
        self.assertExactCounts()

    def test_unmappable_records_are_logged_and_skipped(self):
        run = self.backend.sync_all(kinds=("lines",))  # no products nor accounts yet
        self.assertEqual(run.state, "done")
        self.assertEqual(run.failed_count, self.demo_line_count() + self.demo_maintenance_count())
        self.assertIn("ENT-NW-2001-L1: account NW-0042 is not in Odoo yet", run.error_log)
        self.assertFalse(self._lines())

    def test_two_syncs_never_run_at_once(self):
        with self.env.registry.cursor() as other:
            other.execute(SQL("SELECT pg_advisory_lock(%s, %s)", 0x464E4F, self.backend.id))
            try:
                run = self.backend.sync_all(kinds=("accounts",))
            finally:
                other.execute(SQL("SELECT pg_advisory_unlock(%s, %s)", 0x464E4F, self.backend.id))
        self.assertEqual(run.state, "failed")
        self.assertIn("another synchronisation", run.error_log)
        self.assertFalse(self._bound("res.partner"))

    def test_existing_customer_is_adopted_not_duplicated(self):
        acme = self.env["res.partner"].create({"name": "ACME (Odoo)", "is_company": True, "ref": "ACME-001"})
        alice = self.env["res.partner"].create(
            {"name": "Alice W.", "parent_id": acme.id, "email": "alice.walker@acme.example.com"}
        )
        self.backend.sync_all(kinds=("accounts", "users"))
        self.assertEqual(acme.flexnet_account_id, "ACME-001")
        self.assertEqual(acme.name, "Acme Industries")
        self.assertEqual(alice.flexnet_user_name, "alice.walker@acme.example.com")
        self.assertEqual(
            self.env["res.partner"].search_count([("email", "=", "alice.walker@acme.example.com")]), 1
        )

    def test_job_mode_imports_page_by_page(self):
        self.backend._job_sync_kind("accounts", False)
        pages = -(-len(DEMO_ACCOUNTS) // self.backend_page_size)
        run = self.env["flexnet.sync.run"].search([("backend_id", "=", self.backend.id)], limit=1)
        jobs = (
            self.env["queue.job"]
            .search([("model_name", "=", run._name)])
            .filtered(lambda job: job.records == run)
        )
        self.assertEqual(jobs.mapped("method_name").count("_job_import_page"), pages)
        self.assertEqual(jobs.mapped("method_name").count("_job_finish"), 1)
        self.assertEqual(run.state, "running")
        self.run_queued_jobs()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.fetched_count, len(DEMO_ACCOUNTS))
        # customers whose reference is their account ID (demo data of other addons) are adopted
        self.assertEqual(run.created_count + run.updated_count, len(DEMO_ACCOUNTS))
        self.assertEqual(len(self._bound("res.partner").filtered("flexnet_account_id")), len(DEMO_ACCOUNTS))
        self.assertTrue(self.backend.watermark_accounts)

    def test_job_mode_closes_the_run_once_its_queued_pages_are_done(self):
        # the jobs as queue_job stores them (not trapped), run as its runner runs them
        self.backend.with_context(queue_job__no_delay=False)._job_sync_kind("accounts", True)
        run = self.env["flexnet.sync.run"].search([("backend_id", "=", self.backend.id)], limit=1)
        pages = self.env["queue.job"].search(
            [("model_name", "=", run._name), ("method_name", "=", "_job_import_page")]
        )
        pages = pages.filtered(lambda job: run in job.records)
        self.assertEqual(len(pages), -(-len(DEMO_ACCOUNTS) // self.backend_page_size))
        self.assertEqual((run.state, run.page_count, run.read_count), ("running", 0, 0))
        self.run_queued_jobs()
        self.assertEqual(set(pages.mapped("state")), {"done"})
        self.assertEqual((run.state, run.page_count), ("done", len(pages)))
        self.assertEqual(run.fetched_count, len(DEMO_ACCOUNTS))
        self.assertTrue(self.backend.watermark_accounts)

    def test_cron_enqueues_one_graph_of_the_kinds_in_order(self):
        self.env["flexnet.backend"]._cron_sync(incremental=True)
        walks = self.env["queue.job"].search(
            [("model_name", "=", "flexnet.backend"), ("method_name", "=", "_job_sync_kind")], order="id"
        )
        walks = walks.filtered(lambda job: job.records == self.backend)
        first = walks.filtered(lambda job: not job.dependency_ids)
        chained = [first]
        while chained[-1].dependent_ids:
            chained.append(chained[-1].dependent_ids)
        self.assertEqual([list(job.args) for job in chained], [[kind, True] for kind in KINDS])
        self.assertEqual([job.state for job in chained], ["pending"] + ["wait_dependencies"] * 3)
        self.assertEqual(set(walks.mapped("channel")), {"root.flexnet"})
        self.assertEqual(set(walks.mapped("identity_key")), {f"flexnet-sync-{self.backend.id}-incremental"})


@tagged("post_install", "-at_install")
class TestOwnershipTransfer(FlexnetSimulatorCase):
    """An entitlement moved to another account in FlexNet moves in Odoo, and stops opening
    the shop for its old owner at once."""

    def test_transfer_moves_entitlement_lines_and_what_the_accounts_may_buy(self):
        self.backend.sync_all()
        Partner, Entitled = self.env["res.partner"], self.env["flexnet.entitled.product"]
        globex = Partner.search([("flexnet_account_id", "=", "GLX-017")])
        initech = Partner.search([("flexnet_account_id", "=", "INI-220")])
        moved = self.env["flexnet.entitlement"].search([("partner_id", "=", globex.id)])
        self.assertTrue(moved and Entitled.search_count([("partner_id", "=", globex.id)]))
        store = self.simulator.store
        with store.lock:  # FlexNet changes the entitlement only, its lines keep their stamps
            store.db.execute("BEGIN IMMEDIATE")
            stamp = store.stamp()
            store.db.execute(
                "UPDATE entitlements SET sold_to = 'INI-220', modified = ? WHERE sold_to = 'GLX-017'",
                (stamp,),
            )
            store.db.commit()
        runs = self.backend.sync_all()
        self.assertEqual(runs.mapped("state"), ["done"] * 4, runs.mapped("error_log"))
        self.assertEqual(moved.partner_id, initech)
        self.assertEqual(set(moved.mapped("account_id")), {"INI-220"})
        self.assertEqual((moved.line_ids | moved.maintenance_line_ids).partner_id, initech)
        self.assertFalse(Entitled.search_count([("partner_id", "=", globex.id)]))
        self.assertIn(
            "SIMF-CFD",
            Entitled.search([("partner_id", "=", initech.id)]).product_id.mapped("default_code"),
        )

    def test_member_added_to_another_account_stays_where_it_is(self):
        self.backend.sync_all()
        carla = self.env["res.partner"].search([("flexnet_user_name", "=", "carla@northwind.example.com")])
        northwind = carla.parent_id
        self.assertEqual(northwind.flexnet_account_id, "NW-0042")
        store = self.simulator.store
        with store.lock:  # FlexNet: Carla is now also a user of Acme (listed first)
            store.db.execute("BEGIN IMMEDIATE")
            stamp = store.stamp()
            user_id = store.db.execute(
                "SELECT id FROM users WHERE user_name = 'carla@northwind.example.com'"
            ).fetchone()[0]
            store.db.execute(
                "INSERT INTO user_accounts(user_id, account_id) VALUES (?, 'ACME-001')", (user_id,)
            )
            store.db.execute("UPDATE users SET modified = ? WHERE id = ?", (stamp, user_id))
            store.db.commit()
        self.addCleanup(self._drop_acme_membership, user_id)
        runs = self.backend.sync_all()
        self.assertEqual(runs.mapped("state"), ["done"] * 4, runs.mapped("error_log"))
        self.assertEqual(carla.parent_id, northwind)  # not moved under another account

    def _drop_acme_membership(self, user_id):
        store = self.simulator.store
        with store.lock:
            store.db.execute(
                "DELETE FROM user_accounts WHERE user_id = ? AND account_id = 'ACME-001'", (user_id,)
            )
            store.db.commit()
