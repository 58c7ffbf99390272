"""Job mode: a synchronisation is one graph of queue_job jobs (each kind's walk, its pages
and its closing job, the kinds one after another), run here as queue_job's runner runs the
stored jobs, with channels of several workers."""

import itertools
import json
from contextlib import closing

from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.flexnet_sync.sync import KINDS

from .common import DEMO_ACCOUNTS, FlexnetSimulatorCase

RUN_COUNTS = (
    "state",
    "mode",
    "page_count",
    "failed_page_count",
    "total_count",
    "read_count",
    "fetched_count",
    "created_count",
    "updated_count",
    "unchanged_count",
    "failed_count",
    "retried_count",
    "removed_count",
)


@tagged("post_install", "-at_install")
class TestJobGraph(FlexnetSimulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, "fx_graph_manager", groups="flexnet_sync.group_flexnet_manager")

    def _jobs(self, method=None):
        domain = [
            ("id", ">", self._jobs_before),
            ("model_name", "in", ("flexnet.backend", "flexnet.sync.run")),
        ]
        if method:
            domain.append(("method_name", "=", method))
        return self.env["queue.job"].search(domain, order="id")

    @staticmethod
    def _in_dependency_order(jobs):
        """The jobs of a chain from its first to its last, by their dependencies."""
        ordered = jobs.filtered(lambda job: not job.dependency_ids & jobs)
        while len(ordered) < len(jobs):
            ordered |= ordered[-1].dependent_ids & jobs
        return ordered

    def _runs(self):
        return self.env["flexnet.sync.run"].search([("backend_id", "=", self.backend.id)], order="id")

    def _snapshot(self):
        """What a synchronisation leaves in Odoo, by FlexNet key (never by database id)."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        partners = Partner.search([("flexnet_backend_id", "=", self.backend.id)])
        templates = (
            self.env["product.template"]
            .with_context(active_test=False)
            .search([("flexnet_backend_id", "=", self.backend.id)])
        )
        lines = self.env["flexnet.entitlement.line"].search([("backend_id", "=", self.backend.id)])
        self.env.invalidate_all()
        return {
            "runs": [tuple(run[name] for name in ("kind", *RUN_COUNTS)) for run in self._runs()],
            "accounts": {
                p.flexnet_account_id: (p.name, p.is_company, p.country_id.code, p.flexnet_account_type)
                for p in partners.filtered("flexnet_account_id")
            },
            "members": {
                p.flexnet_user_name: (p.name, p.email, p.parent_id.flexnet_account_id, p.flexnet_roles)
                for p in partners.filtered("flexnet_user_name")
            },
            "products": {
                (t.default_code, t.name): (
                    t.flexnet_kind,
                    t.type,
                    t.active,
                    t.flexnet_title_tmpl_id.default_code,
                )
                for t in templates
            },
            "lines": {
                line.activation_id: (
                    line.line_type,
                    line.state,
                    line.partner_id.flexnet_account_id,
                    line.entitlement_id.name,
                    line.product_id.default_code,
                    line.parent_id.activation_id,
                    line.seats,
                    line.start_date,
                    line.expiration_date,
                    line.maintenance_end,
                )
                for line in lines
            },
            "watermarks": tuple(
                self.backend[f"watermark_{kind}"] for kind in ("products", "accounts", "users", "lines")
            ),
        }

    @staticmethod
    def _steps(rounds):
        """The jobs run, in order, as (method, kind), repeated page jobs counted once."""
        steps = [
            (method, args[0] if method == "_job_sync_kind" else records.kind)
            for ran in rounds
            for method, records, args in ran
        ]
        return [step for index, step in enumerate(steps) if not index or steps[index - 1] != step]

    def test_job_mode_equals_a_synchronous_run_whatever_the_channels(self):
        with closing(self.env.cr.savepoint()):
            self.backend.with_user(self.manager).sync_all()
            expected = self._snapshot()
        self.env.invalidate_all(flush=False)
        self.assertEqual([run[1] for run in expected["runs"]], ["done"] * 4)
        self.assertTrue(all(expected[name] for name in ("accounts", "members", "products", "lines")))
        self.assertFalse(self._runs())
        for channels in ("root:4,root.flexnet:4", "root:8", "root:2,root.flexnet:1"):
            with self.subTest(channels=channels), closing(self.env.cr.savepoint()):
                self.backend.with_user(self.manager).action_sync_full()
                rounds = self.run_queued_jobs(channels)
                self.assertEqual(self._snapshot(), expected)
                # one job of the synchronisation at a time, whatever the capacity: products,
                # accounts, users, lines, each read, imported page by page, then closed
                self.assertEqual({len(ran) for ran in rounds}, {1})
                self.assertEqual(
                    self._steps(rounds),
                    [
                        (method, kind)
                        for kind in KINDS
                        for method in ("_job_sync_kind", "_job_import_page", "_job_finish")
                    ],
                )
                self.assertEqual(set(self._jobs().mapped("state")), {"done"})
            self.env.invalidate_all(flush=False)

    def test_the_graph_as_stored(self):
        self.backend.with_user(self.manager).action_sync_incremental()
        walks = self._in_dependency_order(self._jobs("_job_sync_kind"))
        self.assertEqual(len(walks), 4)
        self.assertEqual([job.args[0] for job in walks], list(KINDS))
        self.assertEqual(walks.mapped("state"), ["pending"] + ["wait_dependencies"] * 3)
        self.assertEqual(len(set(walks.mapped("graph_uuid"))), 1)
        for before, after in itertools.pairwise(walks):
            self.assertEqual(after.dependency_ids, before)
        # the products are read: their pages are chained, the closing job waits for the last one,
        # the accounts' walk for the closing job
        self.run_queued_jobs(until=lambda method, records, args: method == "_job_sync_kind")
        run = self._runs()
        pages = self._in_dependency_order(self._jobs("_job_import_page"))
        closing_job = self._jobs("_job_finish")
        self.assertEqual(run.kind, "products")
        self.assertGreater(len(pages), 1)
        self.assertEqual(pages.mapped("state"), ["pending"] + ["wait_dependencies"] * (len(pages) - 1))
        for before, after in itertools.pairwise(pages):
            self.assertEqual(after.dependency_ids, before)
        self.assertEqual(closing_job.dependency_ids, pages[-1])
        self.assertEqual(walks[1].dependency_ids, walks[0] | closing_job)
        self.assertEqual(closing_job.dependent_ids, walks[1])
        self.assertEqual(len(set((walks | pages | closing_job).mapped("graph_uuid"))), 1)
        self.assertEqual(run.state, "running")
        self.assertEqual(walks[1].state, "wait_dependencies")

    def test_a_synchronisation_started_twice_runs_once(self):
        backend = self.backend.with_user(self.manager)
        backend.action_sync_incremental()
        backend.action_sync_incremental()
        self.assertEqual(len(self._jobs("_job_sync_kind")), 4)
        # in the middle of it (the accounts' pages are queued): still nothing more
        self.run_queued_jobs(
            until=lambda method, records, args: method == "_job_sync_kind" and args[0] == "accounts"
        )
        backend.action_sync_incremental()
        self.assertEqual(len(self._jobs("_job_sync_kind")), 4)
        self.run_queued_jobs()
        self.assertEqual(self._runs().mapped("kind"), list(KINDS))
        self.assertEqual(self._runs().mapped("state"), ["done"] * 4)
        # over: the next start is a synchronisation of its own
        backend.action_sync_incremental()
        self.assertEqual(len(self._jobs("_job_sync_kind")), 8)

    def test_a_page_that_fails_closes_its_run_failed_and_the_sync_goes_on(self):
        self.backend.with_user(self.manager).action_sync_full()
        self.run_queued_jobs(
            until=lambda method, records, args: method == "_job_sync_kind" and args[0] == "accounts"
        )
        accounts = self._runs().filtered(lambda run: run.kind == "accounts")
        pages = self._jobs("_job_import_page").filtered(lambda job: job.records == accounts)
        self.assertGreater(len(pages), 2)
        # the second page's payload cannot be read back (a bug, a payload of another version)
        self.env.cr.execute(
            SQL(
                "UPDATE queue_job SET args = %s::jsonb WHERE id = %s",
                json.dumps([[{"no_such_field": 1}], False]),
                pages[1].id,
            )
        )
        self.env["queue.job"].invalidate_model()
        with self.assertLogs("odoo.addons.flexnet_sync.models.flexnet_sync_run", "ERROR") as logs:
            self.run_queued_jobs()
        self.assertIn("FlexNet accounts run", logs.output[0])
        self.assertEqual(set(self._jobs().mapped("state")), {"done"})
        runs = {run.kind: run for run in self._runs()}
        self.assertEqual(list(runs), list(KINDS))
        self.assertEqual((accounts.state, accounts.failed_page_count), ("failed", 1))
        self.assertIn("A page of 1 record(s) could not be imported: TypeError", accounts.error_log)
        self.assertIn("1 page(s) could not be read or imported", accounts.error_log)
        # the other pages are imported, the watermark stays (the next run reads the page again)
        self.assertEqual(accounts.fetched_count, len(DEMO_ACCOUNTS) - self.backend_page_size)
        self.assertEqual(accounts.page_count, len(pages) - 1)
        self.assertFalse(self.backend.watermark_accounts)
        self.assertTrue(accounts.date_end)
        for kind in ("products", "users", "lines"):
            self.assertEqual(runs[kind].state, "done", runs[kind].error_log)
        self.assertTrue(self.backend.watermark_lines)

    def test_a_walk_that_flexnet_breaks_off_closes_its_run_failed(self):
        self.sim_arm("getAccountsQuery", "soap_fault", skip=1)  # the second page
        self.backend._job_sync_kind("accounts", False)
        run = self._runs()
        self.assertEqual(len(self._jobs("_job_import_page")), 1)
        self.assertEqual((run.state, run.failed_page_count), ("running", 1))
        self.run_queued_jobs()
        self.assertEqual((run.state, run.fetched_count), ("failed", self.backend_page_size))
        self.assertIn("The walk stopped after 1 page(s): SoapFault", run.error_log)
        self.assertFalse(self.backend.watermark_accounts)
        self.assertEqual(set(self._jobs().mapped("state")), {"done"})

    def test_a_closing_job_that_fails_for_good_lets_the_sync_go_on(self):
        self.backend.with_user(self.manager).action_sync_incremental()
        self.run_queued_jobs(until=lambda method, records, args: method == "_job_sync_kind")
        products = self._runs()
        closing_job = self._jobs("_job_finish")
        accounts_walk = closing_job.dependent_ids
        self.assertEqual((accounts_walk.state, accounts_walk.args[0]), ("wait_dependencies", "accounts"))
        # the closing job fails for good (its retries spent): queue_job's runner marks it failed
        # and calls its failure hook; the jobs waiting for it stay waiting
        closing_job.state = "failed"
        self.run_queued_jobs()
        self.assertEqual((products.state, accounts_walk.state), ("running", "wait_dependencies"))
        products._job_finish_failed(exc_name="FailedJobError", exc_message="Max. retries (5) reached")
        self.assertEqual(products.state, "failed")
        self.assertIn("The closing job failed: Max. retries (5) reached", products.error_log)
        # the next kinds are not held up by it, nor is the next synchronisation
        self.assertEqual(accounts_walk.state, "pending")
        self.run_queued_jobs()
        self.assertEqual(self._runs().mapped("state"), ["failed", "done", "done", "done"])
        self.backend.with_user(self.manager).action_sync_incremental()
        self.assertEqual(len(self._jobs("_job_sync_kind")), 8)
