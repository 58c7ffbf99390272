"""Full runs reconcile: after a complete walk, what Odoo holds and FlexNet no longer has is
marked so; incremental runs read unmappable records again, overlap their watermark, and every
run counts first to show its progress. Each class changes its own simulator."""

import time
from datetime import timedelta

from odoo.tests import new_test_user, tagged

from odoo.addons.flexnet_sync.sync import importer as importer_module
from odoo.addons.flexnet_sync.sync.importer import LineImporter

from .. import flexnet_client as fc
from .common import FlexnetSimulatorCase

CLOSED = ("INACTIVE", "OBSOLETE")


class ReconcileCase(FlexnetSimulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.reconcile_full_runs = True
        runs = cls.backend.sync_all()
        assert runs.mapped("state") == ["done"] * 4, runs.mapped("error_log")
        cls.Line = cls.env["flexnet.entitlement.line"]
        cls.Entitlement = cls.env["flexnet.entitlement"]
        cls.Partner = cls.env["res.partner"].with_context(active_test=False)
        cls.Template = cls.env["product.template"].with_context(active_test=False)

    def _runs(self, runs):
        return {run.kind: run for run in runs}

    def _line(self, activation):
        return self.Line.search([("backend_id", "=", self.backend.id), ("activation_id", "=", activation)])

    def _account(self, code):
        return self.Partner.search(
            [("flexnet_backend_id", "=", self.backend.id), ("flexnet_account_id", "=", code)]
        )

    def assertOdooEqualsFlexnet(self):
        """Every line, maintenance line, entitlement, member and product Odoo holds live for the
        backend is FlexNet's, with FlexNet's state and account; what FlexNet lacks is REMOVED,
        released or archived."""
        client = self.client()
        expected = {}
        for li in client.iter_line_items():
            expected[li.activation_id] = (li.state, li.sold_to, li.entitlement_id, "entitlement")
            for m in li.maintenance:
                expected[m.activation_id] = (m.state, li.sold_to, li.entitlement_id, "maintenance")
        lines = self.Line.search([("backend_id", "=", self.backend.id)])
        self.assertEqual(
            {
                line.activation_id: (
                    line.state,
                    line.partner_id.flexnet_account_id,
                    line.entitlement_id.name,
                    line.line_type,
                )
                for line in lines
                if line.state != "REMOVED"
            },
            expected,
        )
        entitlements = self.Entitlement.search([("backend_id", "=", self.backend.id)])
        self.assertEqual(
            {
                e.name: (e.state, e.account_id, e.partner_id.flexnet_account_id)
                for e in entitlements
                if e.state != "REMOVED"
            },
            {e.entitlement_id: (e.state, e.sold_to, e.sold_to) for e in client.iter_entitlements()},
        )
        members = {u.user_name: {a.account_id for a in u.accounts} for u in client.iter_users() if u.accounts}
        contacts = self.Partner.search(
            [("flexnet_backend_id", "=", self.backend.id), ("flexnet_user_name", "!=", False)]
        )
        self.assertEqual(sorted(contacts.mapped("flexnet_user_name")), sorted(members))
        for contact in contacts:
            self.assertIn(contact.parent_id.flexnet_account_id, members[contact.flexnet_user_name])
        parts = {part.part_id: p.state for p in client.iter_products() for part in p.part_numbers}
        templates = self.Template.search([("flexnet_backend_id", "=", self.backend.id)])
        self.assertEqual(
            sorted(templates.filtered("active").mapped("default_code")),
            sorted(code for code, state in parts.items() if state not in CLOSED),
        )


@tagged("post_install", "-at_install")
class TestReconciliationIsOptIn(ReconcileCase):
    """A simulator of its own: the deletions below stay in it."""

    def test_a_backend_that_does_not_reconcile_removes_nothing(self):
        self.backend.reconcile_full_runs = False
        self.sim_delete("line_items", ["ENT-ACME-1001-L2"])
        self.sim_delete("users", ["hank@globex.example.com"])
        runs = self._runs(self.backend.sync_all())
        self.assertEqual([r.state for r in runs.values()], ["done"] * 4)
        self.assertEqual([r.removed_count for r in runs.values()], [0, 0, 0, 0])
        self.assertNotEqual(self._line("ENT-ACME-1001-L2").state, "REMOVED")
        self.assertTrue(self.Partner.search([("flexnet_user_name", "=", "hank@globex.example.com")]))


@tagged("post_install", "-at_install")
class TestFullRunReconciles(ReconcileCase):
    def test_deletions_states_and_a_transfer_leave_odoo_equal_to_flexnet(self):
        client = self.client()
        umbrella, globex, initech = (
            self._account("UMB-515"),
            self._account("GLX-017"),
            self._account("INI-220"),
        )
        Entitled = self.env["flexnet.entitled.product"]
        self.assertTrue(Entitled.search_count([("partner_id", "=", umbrella.id)]))
        # FlexNet: an entitlement and a line deleted, two entitlements inactive and obsolete,
        # one transferred, a user deleted, another left without account, a product deleted and
        # another retired
        self.sim_delete("entitlements", ["ENT-UMB-5001"])
        self.sim_delete("line_items", ["ENT-ACME-1001-L2"])
        client.set_entitlement_states(
            [fc.EntitlementState("ENT-ACME-1002", "INACTIVE"), fc.EntitlementState("ENT-NW-2002", "OBSOLETE")]
        )
        self.sim_update("entitlements", ["ENT-GLX-3001"], {"sold_to": "INI-220"})
        self.sim_delete("users", ["hank@globex.example.com"])
        self.sim_delete("memberships", [["dev.patel@northwind.example.com", "NW-0042"]])
        self.sim_delete("products", ["SIMF-MEDIA-USB"])
        self.sim_update("products", ["DVS-MEDIA-DVD"], {"state": "OBSOLETE"})

        runs = self._runs(self.backend.sync_all())
        self.assertEqual([r.state for r in runs.values()], ["done"] * 4, [r.error_log for r in runs.values()])
        self.assertOdooEqualsFlexnet()
        # exact counts: 1 line and its maintenance, 1 line, 1 entitlement; 2 members; 1 product
        self.assertEqual(runs["lines"].removed_count, 4, runs["lines"].reconcile_log)
        self.assertEqual(runs["users"].removed_count, 2, runs["users"].reconcile_log)
        self.assertEqual(runs["products"].removed_count, 1, runs["products"].reconcile_log)
        self.assertEqual(runs["accounts"].removed_count, 0)
        removed = self.Line.search([("backend_id", "=", self.backend.id), ("state", "=", "REMOVED")])
        self.assertEqual(len(removed), 3)
        self.assertEqual(sorted(removed.mapped("activation_id"))[:2], ["ENT-ACME-1001-L2", "ENT-UMB-5001-L1"])
        self.assertIn("entitlement ENT-UMB-5001: not in FlexNet any more", runs["lines"].reconcile_log)
        ent = self.Entitlement.search([("name", "=", "ENT-UMB-5001")])
        self.assertEqual(ent.state, "REMOVED")
        self.assertEqual(self._line("ENT-ACME-1002-L1").state, "INACTIVE")
        self.assertEqual(self._line("ENT-NW-2002-L1").state, "OBSOLETE")
        self.assertEqual(self.Entitlement.search([("name", "=", "ENT-GLX-3001")]).partner_id, initech)
        # what each account may buy follows at once
        self.assertFalse(Entitled.search_count([("partner_id", "=", umbrella.id)]))
        self.assertFalse(Entitled.search_count([("partner_id", "=", globex.id)]))
        acme = Entitled.search([("partner_id", "=", self._account("ACME-001").id)])
        self.assertEqual(acme.product_id.mapped("default_code"), ["CADS-PRO-LIC"])  # not the render add-on
        dev = self.Partner.search([("email", "=", "dev.patel@northwind.example.com")])
        self.assertEqual((dev.flexnet_user_name, dev.flexnet_can_login), (False, False))
        self.assertFalse(self.Template.search([("default_code", "=", "SIMF-MEDIA-USB")]).active)
        self.assertFalse(self.Template.search([("default_code", "=", "DVS-MEDIA-DVD")]).active)

        # idempotent: a second full run finds nothing to change
        again = self._runs(self.backend.sync_all())
        for run in again.values():
            self.assertEqual(
                (run.state, run.created_count, run.updated_count, run.removed_count, run.failed_count),
                ("done", 0, 0, 0, 0),
                run.kind,
            )
        self.assertOdooEqualsFlexnet()

        # FlexNet deploys the inactive entitlement again: its lines open the shop again
        client.set_entitlement_state("ENT-ACME-1002", "DEPLOYED")
        self.backend.sync_all(kinds=("lines",))
        self.assertEqual(self._line("ENT-ACME-1002-L1").state, "DEPLOYED")
        self.assertIn(
            "SIMF-LIC",
            Entitled.search([("partner_id", "=", self._account("ACME-001").id)]).product_id.mapped(
                "default_code"
            ),
        )


@tagged("post_install", "-at_install")
class TestFailedRunRemovesNothing(ReconcileCase):
    def test_a_fault_in_the_walk_or_in_the_lookups_leaves_everything(self):
        self.sim_delete("entitlements", ["ENT-UMB-5001"])
        self.backend.retries = 0
        self.sim_arm("getEntitlementLineItemPropertiesQuery", "http500", skip=1)
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual(run.state, "failed")
        self.assertEqual(self._line("ENT-UMB-5001-L1").state, "DEPLOYED")
        # the walk completes, the lookup of what it did not return fails: nothing is marked
        self.sim_clear_faults()
        pages = self.client().count_line_items() // self.backend.page_size + 1
        self.sim_arm("getEntitlementLineItemPropertiesQuery", "http500", skip=pages)
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual(run.state, "failed", run.error_log)
        self.assertEqual(run.read_count, self.client().count_line_items())
        self.assertEqual(run.removed_count, 0)
        self.assertEqual(self._line("ENT-UMB-5001-L1").state, "DEPLOYED")
        self.assertEqual(self.Entitlement.search([("name", "=", "ENT-UMB-5001")]).state, "DEPLOYED")
        self.assertFalse(self.env["flexnet.sync.seen"].search_count([("run_id", "=", run.id)]))
        self.sim_clear_faults()
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual((run.state, run.removed_count), ("done", 3))
        self.assertOdooEqualsFlexnet()


@tagged("post_install", "-at_install")
class TestWalkWhileRecordsChange(ReconcileCase):
    def test_records_deleted_and_changed_during_the_walk(self):
        """FlexNet pages by position: an entitlement deleted once the first page is read shifts
        the lines after it back by its two lines, which the walk then does not return. They are
        looked up and kept; lines changed behind the walk come with the next incremental run,
        the deleted ones go with the next full run."""
        self.backend.watermark_margin = 0  # the watermark alone must hold changes made during the walk
        deleted, changed, looked_up = [], [], []
        import_page, verify = LineImporter.import_page, LineImporter.verify

        def import_first_then_change(importer, records):
            result = import_page(importer, records)
            if not deleted:
                deleted.extend(self.sim_delete("entitlements", ["ENT-ACME-1001"]))  # read on page 1
                changed.extend(self.sim_touch("line_items", 2))
            return result

        def verify_and_record(importer, client, keys):
            found = verify(importer, client, keys)
            looked_up.append((sorted(keys), sorted(r.activation_id for r in found)))
            return found

        self.patch(LineImporter, "import_page", import_first_then_change)
        self.patch(LineImporter, "verify", verify_and_record)
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual(run.state, "done", run.error_log)
        self.assertEqual(deleted, ["ENT-ACME-1001"])
        # two lines were not returned by the walk: looked up, FlexNet has them, nothing removed
        [(keys, found)] = looked_up
        self.assertEqual(len(keys), 2)
        self.assertEqual(found, keys)
        self.assertEqual(run.removed_count, 0, run.reconcile_log)
        self.assertFalse(
            self.Line.search_count([("backend_id", "=", self.backend.id), ("state", "=", "REMOVED")])
        )
        self.assertLessEqual(self.backend.watermark_lines, run.date_start)
        # the next incremental run brings the lines changed behind the walk
        self.patch(LineImporter, "import_page", import_page)
        incremental = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual(incremental.state, "done")
        seats = {li.activation_id: li.number_of_copies for li in self.client().iter_line_items()}
        for key in changed:
            self.assertEqual(self._line(key).seats, seats[key], key)
        # and the next full run lets the deleted entitlement go: 2 lines, 1 maintenance, itself
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual(run.removed_count, 4, run.reconcile_log)
        self.assertOdooEqualsFlexnet()


@tagged("post_install", "-at_install")
class TestRetryList(FlexnetSimulatorCase):
    def _new_customer_with_a_line(self, account_id):
        client = self.client()
        client.create_accounts([fc.NewAccount(account_id, f"Customer {account_id}")])
        client.create_simple_entitlements(
            [
                fc.NewEntitlement(
                    sold_to=account_id,
                    entitlement_id=f"ENT-{account_id}",
                    line_items=[
                        fc.NewLineItem("DVS-LIC", 1, activation_id=f"ENT-{account_id}-L1", is_permanent=True)
                    ],
                )
            ]
        )

    def test_unmappable_records_are_read_again_until_they_map(self):
        self.backend.watermark_margin = 0  # the line is not read again through the overlap
        self.backend.sync_all()
        Retry = self.env["flexnet.sync.retry"]
        self._new_customer_with_a_line("NEW-1")
        run = self.backend.sync_incremental(kinds=("lines",))  # its account is not in Odoo yet
        self.assertEqual((run.state, run.failed_count), ("done", 1))
        retry = Retry.search([("backend_id", "=", self.backend.id)])
        self.assertEqual(
            (retry.kind, retry.key, retry.run_id, retry.attempt_count), ("lines", "ENT-NEW-1-L1", run, 1)
        )
        self.assertIn("account NEW-1 is not in Odoo yet", retry.reason)
        self.assertEqual(self.backend.retry_count, 1)
        # once the watermark passed it (a change a second later), still unmappable, it is read
        # again by its key
        time.sleep(1.1)  # watermarks are kept to the second
        self.sim_touch("line_items", 1)
        self.backend.sync_incremental(kinds=("lines",))
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual((run.retried_count, run.failed_count), (1, 1), run.error_log)
        self.assertEqual(retry.attempt_count, 3)
        self.assertEqual(retry.run_id, run)
        # its account arrives: the next incremental run of lines imports it and lets it go
        self.backend.sync_incremental(kinds=("accounts",))
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual((run.retried_count, run.created_count, run.failed_count), (1, 1, 0))
        self.assertFalse(retry.exists())
        line = self.env["flexnet.entitlement.line"].search([("activation_id", "=", "ENT-NEW-1-L1")])
        self.assertEqual(line.partner_id.flexnet_account_id, "NEW-1")
        self.assertEqual(self.env["flexnet.sync.retry"].search_count([]), 0)

    def test_a_full_run_supersedes_the_list_and_gone_records_leave_it(self):
        self.backend.sync_all()
        self._new_customer_with_a_line("NEW-2")
        self._new_customer_with_a_line("NEW-3")
        self.backend.sync_incremental(kinds=("lines",))
        Retry = self.env["flexnet.sync.retry"]
        self.assertEqual(sorted(Retry.search([]).mapped("key")), ["ENT-NEW-2-L1", "ENT-NEW-3-L1"])
        # FlexNet deletes one: the next incremental run reads it no more
        self.sim_delete("entitlements", ["ENT-NEW-3"])
        self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual(Retry.search([]).mapped("key"), ["ENT-NEW-2-L1"])
        # a full run: the list is what it could not import
        self.backend.sync_all(kinds=("accounts",))
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual((run.state, run.failed_count), ("done", 0))
        self.assertFalse(Retry.search_count([]))


@tagged("post_install", "-at_install")
class TestOverlapAndProgress(ReconcileCase):
    def test_incremental_runs_overlap_and_write_nothing_new(self):
        lines = self.Line.search([("backend_id", "=", self.backend.id)])
        written = {line.id: line.write_date for line in lines}
        watermark = self.backend.watermark_lines
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual(run.watermark_from, watermark - timedelta(minutes=5))
        # everything was written within the overlap: read again, all unchanged
        self.assertEqual(run.read_count, self.demo_line_count())
        self.assertEqual(
            (run.created_count, run.updated_count, run.unchanged_count), (0, 0, run.fetched_count)
        )
        lines.invalidate_recordset(["write_date"])
        self.assertEqual({line.id: line.write_date for line in lines}, written)
        self.assertEqual(self.backend.watermark_lines, watermark)
        # without overlap, nothing
        self.backend.watermark_margin = 0
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual((run.read_count, run.total_count), (0, 0))

    def test_runs_count_first_and_show_their_progress(self):
        client = self.client()
        runs = self._runs(self.backend.sync_all())
        self.assertEqual(runs["lines"].total_count, client.count_line_items())
        self.assertEqual(runs["accounts"].total_count, client.count_accounts())
        self.assertEqual(runs["users"].total_count, client.count_users())
        self.assertEqual(runs["products"].total_count, client.count_products())
        for run in runs.values():
            self.assertEqual((run.read_count, run.progress), (run.total_count, 100.0), run.kind)
        # a site whose count fails: read all the same, progress unknown
        self.sim_arm("getActivatableItemCount", "soap_fault")
        with self.assertLogs("odoo.addons.flexnet_sync.sync.engine", "WARNING") as logged:
            run = self.backend.sync_all(kinds=("lines",))
        self.assertIn("could not count the lines", "\n".join(logged.output))
        self.assertEqual(run.state, "done")
        self.assertEqual((run.total_count, run.progress), (0, 0.0))
        self.assertEqual(run.read_count, client.count_line_items())
        self.assertIn("could not count", run.error_log)
        # the count asked what the walk reads: an incremental run counts the changes
        self.backend.watermark_margin = 0
        touched = self.sim_touch("line_items", 2)
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual((run.total_count, run.read_count, run.progress), (2, 2, 100.0))
        self.assertEqual(run.updated_count, len(touched))


@tagged("post_install", "-at_install")
class TestMembersLeave(ReconcileCase):
    def test_a_member_removed_from_flexnet_loses_the_account_and_comes_back(self):
        grace = self.Partner.search([("flexnet_user_name", "=", "grace@globex.example.com")])
        globex = grace.parent_id
        portal = new_test_user(
            self.env, "grace_portal", groups="base.group_portal", partner_id=grace.id, email=grace.email
        )
        self.sim_delete("memberships", [["grace@globex.example.com", "GLX-017"]])
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual((run.state, run.removed_count), ("done", 1), run.reconcile_log)
        self.assertNotIn(grace, globex.flexnet_member_ids)
        self.assertEqual(grace.parent_id, globex)  # the contact stays, with its orders
        self.assertEqual((grace.flexnet_can_login, grace.flexnet_roles), (False, False))
        self.assertFalse(portal.active)
        self.assertTrue(grace.flexnet_portal_suspended)
        # FlexNet makes her a user of Globex again: same contact, portal back
        self.client().create_users(
            [
                fc.NewUser(
                    "Grace",
                    "Hopper",
                    "grace@globex.example.com",
                    "GLX-017",
                    roles=("Portal Admin",),
                    user_name="grace@globex.example.com",
                )
            ]
        )
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual(run.state, "done", run.error_log)
        self.assertEqual(grace.flexnet_user_name, "grace@globex.example.com")
        self.assertTrue(grace.flexnet_can_login)
        self.assertTrue(portal.active)
        self.assertFalse(grace.flexnet_portal_suspended)
        self.assertIn(grace, globex.flexnet_member_ids)


@tagged("post_install", "-at_install")
class TestVerifyByWalk(ReconcileCase):
    def test_many_missing_records_are_looked_up_by_one_more_walk(self):
        self.patch(importer_module, "VERIFY_BY_KEY", 1)
        self.sim_delete("line_items", ["ENT-SSP-9001-L1", "ENT-INI-4001-L2"])
        calls = self.sim_stats()["calls"].get("getEntitlementLineItemPropertiesQuery", 0)
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual((run.state, run.removed_count), ("done", 3), run.reconcile_log)
        pages = run.read_count // self.backend.page_size + 1
        # the walk, then one more walk instead of a query per missing key
        self.assertEqual(
            self.sim_stats()["calls"]["getEntitlementLineItemPropertiesQuery"] - calls, 2 * pages
        )
        self.assertOdooEqualsFlexnet()


@tagged("post_install", "-at_install")
class TestJobMode(ReconcileCase):
    def test_page_jobs_then_the_closing_job_reconcile_and_retry(self):
        self.sim_delete("line_items", ["ENT-SSP-9001-L2"])
        self.backend._job_sync_kind("lines", False)
        run = self.env["flexnet.sync.run"].search([("backend_id", "=", self.backend.id)], limit=1)
        self.assertEqual(
            (run.state, run.total_count, run.read_count), ("running", self.demo_line_count() - 1, 0)
        )
        self.run_queued_jobs()
        self.assertEqual((run.state, run.removed_count, run.progress), ("done", 2, 100.0), run.reconcile_log)
        self.assertEqual(self._line("ENT-SSP-9001-L2").state, "REMOVED")
        self.assertEqual(self._line("ENT-SSP-9001-L2-M").state, "REMOVED")
        self.assertOdooEqualsFlexnet()
        # a record to retry is read again by key in a page job of its own
        self.backend.watermark_margin = 0
        client = self.client()
        client.create_accounts([fc.NewAccount("JOB-1", "Job Customer")])
        client.create_simple_entitlements(
            [
                fc.NewEntitlement(
                    sold_to="JOB-1",
                    entitlement_id="ENT-JOB-1",
                    line_items=[
                        fc.NewLineItem("DVS-LIC", 1, activation_id="ENT-JOB-1-L1", is_permanent=True)
                    ],
                )
            ]
        )
        self.backend.sync_incremental(kinds=("lines",))  # its account is not in Odoo yet
        time.sleep(1.1)  # watermarks are kept to the second
        self.sim_touch("line_items", 1)
        self.backend.sync_incremental(kinds=("lines",))  # the watermark passes it
        self.assertEqual(self.env["flexnet.sync.retry"].search([]).key, "ENT-JOB-1-L1")
        self.backend.sync_incremental(kinds=("accounts",))
        self.backend._job_sync_kind("lines", True)
        run = self.env["flexnet.sync.run"].search([("backend_id", "=", self.backend.id)], limit=1)
        pages = self.env["queue.job"].search(
            [("model_name", "=", run._name), ("method_name", "=", "_job_import_page")]
        )
        retried = pages.filtered(lambda job: job.records == run and job.args[1])
        self.assertEqual(len(retried), 1)
        self.run_queued_jobs()
        self.assertEqual((run.state, run.retried_count, run.created_count), ("done", 1, 1))
        self.assertFalse(self.env["flexnet.sync.retry"].search_count([]))
