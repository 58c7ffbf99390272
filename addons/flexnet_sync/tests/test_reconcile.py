"""Full runs reconcile: after a complete walk, what Odoo holds and FlexNet no longer has is
marked so; incremental runs read unmappable records again, overlap their watermark, and every
run counts first to show its progress. Each class changes its own simulator."""

import time
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.flexnet_sync.sync import mapper
from odoo.addons.flexnet_sync.sync.engine import IMPORTERS
from odoo.addons.flexnet_sync.sync.importer import LineImporter, UserImporter
from odoo.addons.queue_job.exception import FailedJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from .. import flexnet_client as fc
from .common import FlexnetSimulatorCase

CLOSED = ("INACTIVE", "OBSOLETE")


class ReconcileCase(FlexnetSimulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the demo site is small: one entitlement is an eighth of it; the limit has its own tests
        cls.backend.reconcile_max_share = 50
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
        members = {
            mapper.user_key(u): {a.account_id for a in u.accounts} for u in client.iter_users() if u.accounts
        }
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
class TestReconciliationSetting(ReconcileCase):
    """A simulator of its own: the deletions below stay in it."""

    def test_new_backends_reconcile_within_a_limit(self):
        backend = self.env["flexnet.backend"].create({"name": "New site", "url": "https://fno.example.com"})
        self.assertEqual((backend.reconcile_full_runs, backend.reconcile_max_share), (True, 10))
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            backend.write({"reconcile_max_share": 101})
            backend.flush_recordset()

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
class TestLineTransferredDuringTheWalk(ReconcileCase):
    def test_a_line_moved_to_another_entitlement_is_moved_not_removed(self):
        """An entitlement deleted once the first page is read shifts the two lines of ENT-NW-2001
        out of the walk, and one of them is moved meanwhile to ENT-NW-2002 (``transferLineItems``,
        the same activation ID): its lookup under ENT-NW-2001 does not find it, its lookup by
        activation ID does: it follows FlexNet to its new entitlement and stays."""
        self.assertEqual(self._line("ENT-NW-2001-L1").entitlement_id.name, "ENT-NW-2001")
        done = []
        pages = LineImporter.pages

        def change_after_the_first_page(importer, client, since):
            for page in pages(importer, client, since):
                yield page
                if not done:
                    done.append([li.activation_id for li in page])
                    self.sim_delete("entitlements", ["ENT-ACME-1001"])
                    self.sim_transfer(["ENT-NW-2001-L1"], "ENT-NW-2002")

        self.patch(LineImporter, "pages", change_after_the_first_page)
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual(run.state, "done", run.error_log)
        self.assertEqual(done, [["ENT-ACME-1001-L1", "ENT-ACME-1001-L2", "ENT-ACME-1002-L1"]])
        self.assertEqual(run.removed_count, 0, run.reconcile_log)
        moved = self._line("ENT-NW-2001-L1")
        self.assertEqual((moved.state, moved.entitlement_id.name), ("DEPLOYED", "ENT-NW-2002"))
        self.assertNotEqual(self._line("ENT-NW-2001-L2").state, "REMOVED")
        # the next full run lets the deleted entitlement go, and nothing else
        self.patch(LineImporter, "pages", pages)
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
        self.assertEqual(retry.next_attempt, retry.last_attempt + timedelta(minutes=15))
        # once the watermark passed it (a change a second later), it waits for its back-off
        self._pass_watermark()
        self.assertEqual(retry.attempt_count, 2)  # read by that walk
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual((run.retried_count, retry.attempt_count), (0, 2))
        # then, still unmappable, it is read again by its key, and waits twice as long
        retry.next_attempt = retry.last_attempt
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual((run.retried_count, run.failed_count), (1, 1), run.error_log)
        self.assertEqual(retry.attempt_count, 3)
        self.assertEqual(retry.run_id, run)
        self.assertEqual(retry.next_attempt, retry.last_attempt + timedelta(minutes=60))
        self.assertFalse(retry.given_up)
        # its account arrives: the next incremental run of lines past the back-off imports it and
        # lets it go
        self.backend.sync_incremental(kinds=("accounts",))
        retry.next_attempt = retry.last_attempt
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual((run.retried_count, run.created_count, run.failed_count), (1, 1, 0))
        self.assertFalse(retry.exists())
        line = self.env["flexnet.entitlement.line"].search([("activation_id", "=", "ENT-NEW-1-L1")])
        self.assertEqual(line.partner_id.flexnet_account_id, "NEW-1")
        self.assertEqual(self.env["flexnet.sync.retry"].search_count([]), 0)

    def _pass_watermark(self):
        """An incremental run of lines whose watermark passes every line there is: the walks
        after it read again only what changed since."""
        time.sleep(1.1)  # watermarks are kept to the second
        self.sim_touch("line_items", 1)
        return self.backend.sync_incremental(kinds=("lines",))

    def test_records_that_keep_failing_are_given_up_but_stay_listed(self):
        self.backend.watermark_margin = 0
        self.backend.sync_all()
        Retry = self.env["flexnet.sync.retry"]
        self._new_customer_with_a_line("NEW-4")
        self._pass_watermark()
        retry = Retry.search([("key", "=", "ENT-NEW-4-L1")])
        # eight more failed attempts: the ninth waits a day at most
        retry.write({"attempt_count": 8, "next_attempt": retry.last_attempt})
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual((run.retried_count, retry.attempt_count, retry.given_up), (1, 9, False))
        self.assertEqual(retry.next_attempt, retry.last_attempt + timedelta(days=1))
        # the tenth: given up, listed still, no longer read by incremental runs
        retry.next_attempt = retry.last_attempt
        self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual((retry.attempt_count, retry.given_up), (10, True))
        retry.next_attempt = retry.last_attempt
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual(run.retried_count, 0)
        self.assertTrue(retry.exists())
        # a full run reads it: once its account is in Odoo, it is imported and leaves the list
        self.backend.sync_all(kinds=("accounts",))
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual((run.state, run.failed_count), ("done", 0))
        self.assertFalse(retry.exists())
        self.assertTrue(self.env["flexnet.entitlement.line"].search([("activation_id", "=", "ENT-NEW-4-L1")]))

    def test_try_again_is_for_flexnet_administrators(self):
        self.backend.watermark_margin = 0
        self.backend.sync_all()
        self._new_customer_with_a_line("NEW-5")
        self._pass_watermark()
        retry = self.env["flexnet.sync.retry"].search([("key", "=", "ENT-NEW-5-L1")])
        retry.write({"given_up": True, "attempt_count": 10})
        user = new_test_user(self.env, "fx_retry_user", groups="flexnet_sync.group_flexnet_user")
        with self.assertRaises(AccessError):
            retry.with_user(user).action_try_again()
        manager = new_test_user(self.env, "fx_retry_manager", groups="flexnet_sync.group_flexnet_manager")
        retry.with_user(manager).action_try_again()
        # ten attempts again, not one
        self.assertEqual((retry.given_up, retry.next_attempt, retry.attempt_count), (False, False, 0))
        run = self.backend.sync_incremental(kinds=("lines",))
        self.assertEqual((run.retried_count, retry.attempt_count, retry.given_up), (1, 1, False))
        self.assertEqual(retry.next_attempt, retry.last_attempt + timedelta(minutes=15))

    def test_a_record_not_imported_for_another_reason_counts_its_attempts(self):
        """A user listed to retry (its account was not in Odoo) that FlexNet then leaves under no
        account is read again and not imported, for a reason no retry cures: it counts its
        attempts and waits like any other, instead of being read again by every run."""
        self.backend.sync_all()
        client = self.client()
        client.create_accounts([fc.NewAccount("NEW-9", "Customer NEW-9")])
        client.create_users(
            [fc.NewUser("Zed", "Nine", "zed@new9.example.com", "NEW-9", user_name="zed.nine")]
        )
        run = self.backend.sync_incremental(kinds=("users",))
        retry = self.env["flexnet.sync.retry"].search(
            [("backend_id", "=", self.backend.id), ("key", "=", "zed.nine")]
        )
        self.assertEqual((run.failed_count, retry.attempt_count), (1, 1))
        self.sim_delete("memberships", [["zed.nine", "NEW-9"]])
        retry.next_attempt = retry.last_attempt
        run = self.backend.sync_incremental(kinds=("users",))
        self.assertEqual(run.state, "done")
        self.assertEqual((retry.attempt_count, retry.run_id), (2, run))
        self.assertEqual(retry.reason, "a user of no account in FlexNet")
        self.assertEqual(retry.next_attempt, retry.last_attempt + timedelta(minutes=30))
        # not read again by key before its back-off (the walk's overlap may read it: one more attempt)
        run = self.backend.sync_incremental(kinds=("users",))
        self.assertEqual(run.retried_count, 0)
        self.assertGreater(retry.next_attempt, run.date_start)

    def test_a_full_run_keeps_what_incremental_runs_list_meanwhile(self):
        """Job mode: an incremental run lists a record while the full run's pages wait; the full
        run's close leaves it listed (its walk never read it)."""
        self.backend.sync_all()
        Retry = self.env["flexnet.sync.retry"]
        with trap_jobs() as trap:
            self.backend._job_sync_kind("lines", False)
            self._new_customer_with_a_line("NEW-6")
            self.backend.sync_incremental(kinds=("lines",))
            self.assertEqual(Retry.search([]).mapped("key"), ["ENT-NEW-6-L1"])
            trap.perform_enqueued_jobs()
        full = self.env["flexnet.sync.run"].search(
            [("backend_id", "=", self.backend.id), ("mode", "=", "full"), ("kind", "=", "lines")], limit=1
        )
        self.assertEqual(full.state, "done", full.error_log)
        self.assertEqual(Retry.search([]).mapped("key"), ["ENT-NEW-6-L1"])

    def test_a_full_run_supersedes_the_list_and_gone_records_leave_it(self):
        self.backend.sync_all()
        self._new_customer_with_a_line("NEW-2")
        self._new_customer_with_a_line("NEW-3")
        self.backend.sync_incremental(kinds=("lines",))
        Retry = self.env["flexnet.sync.retry"]
        self.assertEqual(sorted(Retry.search([]).mapped("key")), ["ENT-NEW-2-L1", "ENT-NEW-3-L1"])
        # FlexNet deletes one: the next incremental run past its back-off finds it no more
        self.sim_delete("entitlements", ["ENT-NEW-3"])
        for retry in Retry.search([]):
            retry.next_attempt = retry.last_attempt
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
class TestLookupsByKey(ReconcileCase):
    def test_missing_lines_are_looked_up_by_their_entitlement_never_by_another_walk(self):
        # two lines of one entitlement and their maintenance: one query for both lines, one per
        # line its entitlement no longer lists (a line moved elsewhere keeps its activation
        # ID), then the entitlement (none of its lines read) by its ID
        self.sim_delete("line_items", ["ENT-SSP-9001-L1", "ENT-SSP-9001-L2"])
        self.sim_admin.delete(f"{self.sim_url}/admin/calls", timeout=5).raise_for_status()
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual((run.state, run.removed_count), ("done", 4), run.reconcile_log)
        calls = self.sim_stats()["calls"]
        pages = run.read_count // self.backend.page_size + 1
        self.assertEqual(calls["getEntitlementLineItemPropertiesQuery"], pages + 1 + 2)
        self.assertEqual(calls["getEntitlementsQuery"], 1)
        # FlexNet keeps the entitlement without lines: it stays, with FlexNet's state
        self.assertEqual(self.Entitlement.search([("name", "=", "ENT-SSP-9001")]).state, "DEPLOYED")
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
        retry = self.env["flexnet.sync.retry"].search([])
        self.assertEqual(retry.key, "ENT-JOB-1-L1")
        retry.next_attempt = retry.last_attempt  # its back-off has passed
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


@tagged("post_install", "-at_install")
class TestRemovalLimit(ReconcileCase):
    def test_a_run_that_would_remove_too_much_removes_nothing_and_says_why(self):
        self.backend.reconcile_max_share = 10
        # two entitlements and their lines: 6 of the 22 lines (4 lines, 2 maintenance lines)
        self.sim_delete("entitlements", ["ENT-NW-2001", "ENT-GLX-3001"])
        with self.assertLogs("odoo.addons.flexnet_sync.sync.importer", "WARNING") as logged:
            run = self.backend.sync_all(kinds=("lines",))
        self.assertIn("6 of the 22 entitlement lines Odoo holds are no longer", "\n".join(logged.output))
        self.assertEqual((run.state, run.removed_count), ("done", 0))
        self.assertIn(
            "6 of the 22 entitlement lines Odoo holds (27.3 %, looked up by key)", run.reconcile_warning
        )
        self.assertIn("limit of 10 % per run (or 5)", run.reconcile_warning)
        self.assertIn("raise the backend's Most removed per run", run.reconcile_warning)
        self.assertEqual(self._line("ENT-NW-2001-L1").state, "DEPLOYED")
        # the lines held back hold their entitlements back
        self.assertEqual(
            self.Entitlement.search([("name", "in", ["ENT-NW-2001", "ENT-GLX-3001"])]).mapped("state"),
            ["DEPLOYED", "DEPLOYED"],
        )
        self.assertFalse(self.env["flexnet.sync.seen"].search_count([("run_id", "=", run.id)]))
        # the other kinds are not held back
        self.sim_delete("users", ["hank@globex.example.com"])
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual((run.removed_count, run.reconcile_warning), (1, False))
        # FlexNet really removed them: with the limit raised, the next full run marks them
        self.backend.reconcile_max_share = 30
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual((run.state, run.removed_count, run.reconcile_warning), ("done", 8, False))
        self.assertOdooEqualsFlexnet()


@tagged("post_install", "-at_install")
class TestRemovalFloor(ReconcileCase):
    def test_a_small_kind_may_always_lose_a_few(self):
        """2 of the 11 products are 18 %, over the default 10 %: a full run may always remove 5."""
        self.backend.reconcile_max_share = 10
        self.sim_delete("products", ["CADS-MEDIA-DVD", "SIMF-MEDIA-USB"])
        run = self.backend.sync_all(kinds=("products",))
        self.assertEqual((run.state, run.removed_count, run.reconcile_warning), ("done", 2, False))
        gone = self.Template.search([("default_code", "in", ["CADS-MEDIA-DVD", "SIMF-MEDIA-USB"])])
        self.assertEqual(gone.mapped("active"), [False, False])
        self.assertOdooEqualsFlexnet()

    def test_the_floor_never_lets_a_kind_lose_everything(self):
        """A backend pointed at an emptied site: 3 of 3 gone is no 'few'."""
        self.backend.reconcile_max_share = 10
        importer = IMPORTERS["products"](self.backend)
        self.assertTrue(importer._within_limit(2, 3))
        with self.assertLogs("odoo.addons.flexnet_sync.sync.importer", "WARNING"):
            self.assertFalse(importer._within_limit(3, 3))
        self.backend.reconcile_max_share = 0  # no limit: the manager's choice
        self.assertTrue(importer._within_limit(3, 3))


@tagged("post_install", "-at_install")
class TestLimitCountsWhatIsGone(ReconcileCase):
    def test_entitlements_flexnet_keeps_without_lines_do_not_count(self):
        """Five entitlements lose their lines; FlexNet keeps them: every later walk misses them,
        their lookups find them, and they count for nothing against the limit."""
        self.backend.reconcile_max_share = 0
        emptied = ["ENT-ACME-1001", "ENT-ACME-1002", "ENT-NW-2001", "ENT-NW-2002", "ENT-UMB-5001"]
        lines = [li.activation_id for li in self.client().iter_line_items() if li.entitlement_id in emptied]
        self.sim_delete("line_items", lines)
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual((run.state, run.removed_count), ("done", 12), run.reconcile_log)
        self.backend.reconcile_max_share = 10
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual((run.state, run.removed_count, run.reconcile_warning), ("done", 0, False))
        # one line of another entitlement goes: 1 of the 10 lines left, the emptied ones aside
        self.sim_delete("line_items", ["ENT-INI-4001-L2"])
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual((run.state, run.removed_count, run.reconcile_warning), ("done", 1, False))
        self.assertEqual(self._line("ENT-INI-4001-L2").state, "REMOVED")
        states = self.Entitlement.search([("name", "in", emptied)]).mapped("state")
        self.assertEqual(len(states), len(emptied))
        self.assertNotIn("REMOVED", states)
        self.assertOdooEqualsFlexnet()


@tagged("post_install", "-at_install")
class TestNoRemovalLimit(ReconcileCase):
    def test_no_limit(self):
        self.backend.reconcile_max_share = 0
        self.sim_delete("entitlements", ["ENT-NW-2001", "ENT-GLX-3001", "ENT-INI-4001"])
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual((run.state, run.removed_count, run.reconcile_warning), ("done", 12, False))
        self.assertOdooEqualsFlexnet()


@tagged("post_install", "-at_install")
class TestUsersWithoutUserName(ReconcileCase):
    def test_a_user_keyed_by_its_email_is_looked_up_by_its_email(self):
        """FlexNet keeps no user name for Chen: the sync keys him by his e-mail. The walk misses
        him (a user deleted once the first page is read shifts him out of it): looked up again
        by his e-mail, he stays a member."""
        self.sim_update("users", ["chen.li@acme.example.com"], {"user_name": ""})
        self.backend.sync_all(kinds=("users",))
        chen = self.Partner.search([("email", "=", "chen.li@acme.example.com")])
        self.assertEqual(chen.flexnet_user_name, "chen.li@acme.example.com")
        # Chen comes third of the users: pages of two, Alice deleted once the first page is read
        self.assertEqual(
            [u.email for u in self.client().iter_users()][:3],
            ["alice.walker@acme.example.com", "bob.nguyen@acme.example.com", "chen.li@acme.example.com"],
        )
        self.backend.page_size = 2
        deleted = []
        pages = UserImporter.pages

        def delete_after_the_first_page(importer, client, since):
            for page in pages(importer, client, since):
                yield page
                if not deleted:
                    deleted.extend(self.sim_delete("users", ["alice.walker@acme.example.com"]))

        self.patch(UserImporter, "pages", delete_after_the_first_page)
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual(deleted, ["alice.walker@acme.example.com"])
        # Alice was read before her deletion; Chen, missed, was found by his e-mail
        self.assertEqual((run.state, run.removed_count), ("done", 0), run.reconcile_log)
        self.assertEqual(chen.flexnet_user_name, "chen.li@acme.example.com")
        self.assertTrue(chen.flexnet_can_login)
        # the next full run lets Alice go, Chen stays
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual((run.state, run.removed_count), ("done", 1), run.reconcile_log)
        self.assertEqual(run.reconcile_log, "alice.walker@acme.example.com: not in FlexNet any more")
        self.assertEqual(chen.flexnet_user_name, "chen.li@acme.example.com")
        self.assertOdooEqualsFlexnet()


@tagged("post_install", "-at_install")
class TestUserKeyChanges(ReconcileCase):
    def test_a_user_whose_email_key_changes_stays_the_same_contact(self):
        """FlexNet keeps no user name for Chen: the sync keys him by his e-mail, which then
        changes in FlexNet. His FlexNet unique ID binds him to the same contact: not a new
        contact and the old one released."""
        self.sim_update("users", ["chen.li@acme.example.com"], {"user_name": ""})
        self.backend.sync_all(kinds=("users",))
        chen = self.Partner.search([("flexnet_user_name", "=", "chen.li@acme.example.com")])
        unique_id = chen.flexnet_user_unique_id
        self.assertTrue(unique_id)
        # another backend (another company's site) has a member with the same unique ID
        other = self.env["flexnet.backend"].create({"name": "Other site", "url": "https://fno.example.com"})
        # an older contact than Chen's (the first by id would win without the backend's filter)
        stranger = self.Partner.search(
            [("id", "<", chen.id), ("is_company", "=", False), ("flexnet_backend_id", "=", False)], limit=1
        )
        self.assertTrue(stranger)
        stranger.write(
            {
                "flexnet_backend_id": other.id,
                "flexnet_user_name": "stranger",
                "flexnet_user_unique_id": unique_id,
            }
        )
        portal = new_test_user(
            self.env, "chen_portal", groups="base.group_portal", partner_id=chen.id, email=chen.email
        )
        self.sim_update("users", ["chen.li@acme.example.com"], {"email": "chen.li@acme-new.example.com"})
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual((run.state, run.created_count, run.removed_count), ("done", 0, 0), run.reconcile_log)
        self.assertEqual(chen.flexnet_user_name, "chen.li@acme-new.example.com")
        self.assertEqual(chen.email, "chen.li@acme-new.example.com")
        self.assertTrue(portal.active)
        self.assertEqual((stranger.flexnet_backend_id, stranger.flexnet_user_name), (other, "stranger"))
        self.assertOdooEqualsFlexnet()


@tagged("post_install", "-at_install")
class TestUserKeyTakenOver(ReconcileCase):
    # a class of its own: the simulator's changes are not rolled back between tests
    def test_a_key_another_user_takes_over_leaves_the_contact_that_held_it(self):
        """Alice is deleted in FlexNet; Chen, keyed by his e-mail, takes her address, which is
        her user name. Odoo's contact of Alice, not reconciled yet, held that key: Chen's
        contact takes it and Alice's contact is released (not a refused page, run after run)."""
        self.backend.reconcile_full_runs = False  # nothing reconciles Alice's contact meanwhile
        self.sim_update("users", ["chen.li@acme.example.com"], {"user_name": ""})
        self.backend.sync_all(kinds=("users",))
        chen = self.Partner.search([("flexnet_user_name", "=", "chen.li@acme.example.com")])
        alice = self.Partner.search([("flexnet_user_name", "=", "alice.walker@acme.example.com")])
        self.assertTrue(chen.flexnet_user_unique_id and alice)
        self.sim_delete("users", ["alice.walker@acme.example.com"])
        self.sim_update("users", ["chen.li@acme.example.com"], {"email": "alice.walker@acme.example.com"})
        for _again in range(2):
            run = self.backend.sync_all(kinds=("users",))
            self.assertEqual((run.state, run.failed_count), ("done", 0), run.error_log)
        self.assertEqual(chen.flexnet_user_name, "alice.walker@acme.example.com")
        self.assertEqual(
            (alice.flexnet_user_name, alice.flexnet_former_user_name),
            (False, "alice.walker@acme.example.com"),
        )


@tagged("post_install", "-at_install")
class TestUsersOfNoAccount(ReconcileCase):
    LEAVING = (
        ("alice.walker@acme.example.com", "ACME-001"),
        ("bob.nguyen@acme.example.com", "ACME-001"),
        ("carla@northwind.example.com", "NW-0042"),
        ("grace@globex.example.com", "GLX-017"),
        ("peter.gibbons@initech.example.com", "INI-220"),
        ("samir@initech.example.com", "INI-220"),
    )

    def _members(self, keys):
        return self.Partner.search([("flexnet_user_name", "in", list(keys))])

    def test_users_left_without_account_are_released_within_the_setting_and_the_limit(self):
        keys = [key for key, _account in self.LEAVING]
        # a backend that does not reconcile releases no one, whatever the run
        self.backend.reconcile_full_runs = False
        self.sim_delete("memberships", [list(self.LEAVING[0])])
        for run in (self.backend.sync_incremental(kinds=("users",)), self.backend.sync_all(kinds=("users",))):
            self.assertEqual((run.state, run.removed_count), ("done", 0), run.reconcile_log)
        self.assertEqual(len(self._members(keys[:1])), 1)
        # six of the thirteen members: over the limit (10 %, or 5) of a full run
        self.backend.write({"reconcile_full_runs": True, "reconcile_max_share": 10})
        self.sim_delete("memberships", [list(pair) for pair in self.LEAVING[1:]])
        with self.assertLogs("odoo.addons.flexnet_sync.sync.importer", "WARNING"):
            run = self.backend.sync_all(kinds=("users",))
        self.assertEqual((run.state, run.removed_count), ("done", 0), run.reconcile_log)
        self.assertIn("6 of the 13 members Odoo holds", run.reconcile_warning)
        self.assertEqual(len(self._members(keys)), 6)
        # an incremental run reads them in pages of three: it releases the pages within the
        # limit, counting what its earlier pages released, and holds the rest back
        with self.assertLogs("odoo.addons.flexnet_sync.sync.importer", "WARNING"):
            run = self.backend.sync_incremental(kinds=("users",))
        released = run.removed_count
        self.assertEqual(run.state, "done")
        self.assertTrue(0 < released <= 5, run.reconcile_log)
        self.assertIn(" of the 13 members Odoo holds", run.reconcile_warning)
        self.assertEqual(len(self._members(keys)), 6 - released)
        # the next full run releases the rest
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual((run.state, run.removed_count, run.reconcile_warning), ("done", 6 - released, False))
        self.assertFalse(self._members(keys))
        self.assertIn("a user of no account any more", run.reconcile_log)
        self.assertNotIn("not in FlexNet any more", run.reconcile_log)
        self.assertOdooEqualsFlexnet()


@tagged("post_install", "-at_install")
class TestMembersComeBack(ReconcileCase):
    def _portal(self, login, contact):
        return new_test_user(
            self.env, login, groups="base.group_portal", partner_id=contact.id, email=contact.email
        )

    def _new_user(self, user_name, email, account):
        self.client().create_users(
            [fc.NewUser("Zoe", "Quinn", email, account, roles=("Portal User",), user_name=user_name)]
        )

    def test_a_released_member_listed_again_elsewhere_is_a_new_contact(self):
        """A released contact comes back only under one of the user's accounts: moved to another
        account, it would take its portal user's orders there."""
        self._new_user("zquinn", "Zoe.Quinn@Globex.example.com", "GLX-017")
        self.backend.sync_all(kinds=("users",))
        zoe = self.Partner.search([("flexnet_user_name", "=", "zquinn")])
        globex = zoe.parent_id
        portal = self._portal("zoe_portal", zoe)
        order = self.env["sale.order"].create({"partner_id": zoe.id})
        self.sim_delete("users", ["zquinn"])
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual(run.removed_count, 1, run.reconcile_log)
        self.assertEqual((zoe.flexnet_user_name, zoe.flexnet_former_user_name), (False, "zquinn"))
        self.assertFalse(portal.active)
        # FlexNet lists her again, under another account only: a contact of that account
        self._new_user("zquinn", "zoe.quinn@globex.example.com", "INI-220")
        # and someone else with her e-mail becomes a user of Umbrella
        self.client().create_users(
            [fc.NewUser("Zoe", "Other", "zoe.quinn@globex.example.com", "UMB-515", user_name="zoe.other")]
        )
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual((run.state, run.created_count), ("done", 2), run.error_log)
        self.assertEqual(
            (zoe.parent_id, zoe.flexnet_user_name, zoe.flexnet_former_user_name), (globex, False, "zquinn")
        )
        self.assertFalse(portal.active)
        initech, umbrella = self._account("INI-220"), self._account("UMB-515")
        self.assertEqual(self.Partner.search([("flexnet_user_name", "=", "zquinn")]).parent_id, initech)
        self.assertEqual(self.Partner.search([("flexnet_user_name", "=", "zoe.other")]).parent_id, umbrella)
        # her Globex order stays out of Initech's and Umbrella's portal
        for account, login in ((initech, "ini_col"), (umbrella, "umb_col")):
            colleague = self.Partner.create(
                {"name": login, "parent_id": account.id, "email": f"{login}@x.example.com"}
            )
            viewer = self._portal(login, colleague)
            self.assertFalse(self.env["sale.order"].with_user(viewer).search([("id", "=", order.id)]))
        # FlexNet makes her a user of Globex again: the same contact comes back
        self.client().create_users(
            [fc.NewUser("Zoe", "Quinn", "zoe.quinn@globex.example.com", "GLX-017", user_name="zq.globex")]
        )
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual((run.state, run.created_count), ("done", 0), run.error_log)
        self.assertEqual((zoe.parent_id, zoe.flexnet_user_name), (globex, "zq.globex"))
        self.assertTrue(portal.active)
        self.assertFalse(zoe.flexnet_portal_suspended)


@tagged("post_install", "-at_install")
class TestMembersComeBackByEmail(TestMembersComeBack):
    """A simulator of its own (the users it creates stay in it); the inherited test is not run
    again."""

    test_a_released_member_listed_again_elsewhere_is_a_new_contact = None

    def test_a_released_member_is_found_by_email_whatever_its_case(self):
        self._new_user("yan.q", "Yan.Quist@Globex.example.com", "GLX-017")
        self.backend.sync_all(kinds=("users",))
        yan = self.Partner.search([("flexnet_user_name", "=", "yan.q")])
        portal = self._portal("yan_portal", yan)
        self.sim_delete("users", ["yan.q"])
        self.backend.sync_all(kinds=("users",))
        self.assertFalse(portal.active)
        # another user name, the same e-mail in another case, under the same account
        self._new_user("yan.quist", "YAN.QUIST@globex.example.com", "GLX-017")
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual((run.state, run.created_count), ("done", 0), run.error_log)
        self.assertEqual(yan.flexnet_user_name, "yan.quist")
        self.assertTrue(portal.active)
        self.assertEqual(self.Partner.search_count([("email", "=ilike", "yan.quist@globex.example.com")]), 1)


@tagged("post_install", "-at_install")
class TestMaintenanceProducts(ReconcileCase):
    def test_the_products_walk_archives_no_maintenance_product(self):
        """FlexNet serves maintenance products through its maintenance service, not
        getProductsQuery: the products walk never returns them, and leaves them alone."""
        Template = self.env["product.template"]
        maintenance = Template.create(
            {
                "name": "CAD Studio Maintenance, 3 years",
                "default_code": "CADS-MNT-3Y",
                "flexnet_backend_id": self.backend.id,
                "flexnet_kind": "maintenance",
                "type": "service",
            }
        )
        license_ = Template.create(
            {
                "name": "Retired license",
                "default_code": "OLD-LIC",
                "flexnet_backend_id": self.backend.id,
                "flexnet_kind": "license",
                "type": "service",
            }
        )
        run = self.backend.sync_all(kinds=("products",))
        self.assertEqual((run.state, run.removed_count), ("done", 1), run.reconcile_log)
        self.assertTrue(maintenance.active)
        self.assertFalse(license_.active)
        self.assertEqual(run.reconcile_log, "OLD-LIC: not in FlexNet any more")


@tagged("post_install", "-at_install")
class TestClosingJobFailsForGood(ReconcileCase):
    def test_the_run_ends_failed_with_the_reason(self):
        self.sim_delete("users", ["hank@globex.example.com"])
        with trap_jobs() as trap:
            self.backend._job_sync_kind("users", False)
            run = self.env["flexnet.sync.run"].search([("backend_id", "=", self.backend.id)], limit=1)
            [finish] = [job for job in trap.enqueued_jobs if job.method_name == "_job_finish"]
            trap.enqueued_jobs.remove(finish)
            trap.perform_enqueued_jobs()
            self.assertTrue(self.env["flexnet.sync.seen"].search_count([("run_id", "=", run.id)]))
            # FlexNet is away for the reconciliation's lookups, on the last attempt of the close:
            # the job fails for good (what queue_job's runner does: its work rolled back, then
            # the job function's failure hook)
            self.sim_arm("getUsersQuery", "http503", count=10)
            finish.retry = finish.max_retries - 1
            with self.assertRaises(FailedJobError) as raised, self.env.cr.savepoint():
                finish.perform()
            self.assertEqual(finish.on_fail_method_name, "_job_finish_failed")
            finish.on_fail(
                {"exc_info": "", "exc_name": "FailedJobError", "exc_message": raised.exception.args[0]}
            )
        self.env.invalidate_all()
        self.assertEqual(run.state, "failed")
        self.assertTrue(run.date_end)
        self.assertIn("The closing job failed", run.error_log)
        self.assertIn("503", run.error_log)
        self.assertFalse(self.env["flexnet.sync.seen"].search_count([("run_id", "=", run.id)]))
        self.assertEqual(
            self.Partner.search_count([("flexnet_user_name", "=", "hank@globex.example.com")]), 1
        )
