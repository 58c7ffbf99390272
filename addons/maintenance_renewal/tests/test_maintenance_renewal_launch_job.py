"""A launch larger than one batch of accounts runs as queue_job jobs (one per batch, then the
mass mailing), here run as queue_job's runner runs them, as the renewal manager who launched."""

import zlib
from datetime import timedelta

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from ..models.maintenance_renewal_campaign import LAUNCH_BATCH_PARAM, LAUNCH_CHANNEL
from .common import RenewalCase

CAMPAIGN = ("maintenance.renewal.campaign",)
CHANNELS = "root:2,root.maintenance_renewal:2"


@tagged("post_install", "-at_install")
class TestRenewalLaunchJobs(RenewalCase):
    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param(LAUNCH_BATCH_PARAM, 1)
        self.Campaign = (
            self.env["maintenance.renewal.campaign"]
            .with_user(self.manager)
            .with_context(queue_job__no_delay=False)  # stored, as in production
        )

    def _launched(self):
        campaign = self.Campaign.create(
            {
                "name": "Next quarter, in jobs",
                "expiring_from": self.today,
                "expiring_to": self.today + timedelta(days=90),
            }
        )
        campaign.action_preview()
        campaign.action_launch()
        return campaign

    def _new_member(self):
        """A FlexNet user of Northwind who joined after a launch."""
        return self.env["res.partner"].create(
            {
                "name": "Nia New",
                "parent_id": self.accounts["NW-0042"].id,
                "email": "nia@northwind.example.com",
                "flexnet_user_name": "nia@northwind.example.com",
                "flexnet_backend_id": self.backend.id,
                "flexnet_can_login": True,
            }
        )

    def _jobs(self, campaign):
        return self.env["queue.job"].search([("graph_uuid", "=", campaign.launch_graph_uuid)], order="id")

    def test_a_large_launch_runs_in_jobs_and_ends_with_the_mailing(self):
        accounts = self.accounts["ACME-001"] | self.accounts["NW-0042"] | self.accounts["UMB-515"]
        # a consultant who is a FlexNet user of two accounts (quoted by two different jobs)
        shared = "dev.patel@northwind.example.com"
        self.env["res.partner"].create(
            {
                "name": "Dev Patel (for Umbrella)",
                "parent_id": self.accounts["UMB-515"].id,
                "email": shared,
                "flexnet_user_name": "dev.patel.umb@northwind.example.com",
                "flexnet_backend_id": self.backend.id,
                "flexnet_can_login": True,
            }
        )
        campaign = self._launched()
        self.assertEqual(campaign.state, "launching")
        self.assertFalse(campaign.order_ids, "nothing is quoted before the jobs run")
        self.assertFalse(campaign.mailing_id)
        jobs = self._jobs(campaign)
        batches = jobs.filtered(lambda j: j.method_name == "_job_launch_accounts")
        parts = jobs.filtered(lambda j: j.method_name == "_job_launch_list")
        finish = jobs - batches - parts
        self.assertEqual(len(batches), 3, "one job per account (batches of one)")
        self.assertEqual(sorted(job.args for job in parts), [[0, 3], [1, 3], [2, 3]])
        self.assertEqual(finish.method_name, "_job_launch_finish")
        self.assertEqual(set(batches.mapped("state")), {"pending"})
        self.assertEqual(set((parts | finish).mapped("state")), {"wait_dependencies"})
        self.assertEqual(parts.dependency_ids, batches, "the list once every batch is done")
        self.assertEqual(finish.dependency_ids, parts)
        self.assertEqual(set(jobs.mapped("channel")), {LAUNCH_CHANNEL})
        self.assertEqual(jobs.user_id, self.manager, "the jobs run as the manager who launched")
        self.assertEqual(sorted(id_ for job in batches for id_ in job.args[0]), sorted(accounts.ids))
        self.assertEqual(campaign.launch_jobs_pending, 7)
        with self.assertRaisesRegex(UserError, "is being launched"):
            campaign.action_launch()
        with self.assertRaisesRegex(UserError, "is launched"):
            campaign.action_preview()

        rounds = self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        self.assertEqual([len(r) for r in rounds], [2, 1, 2, 1, 1], "two at a time, in dependency order")
        self.assertEqual([method for method, _records, _args in rounds[-1]], ["_job_launch_finish"])
        campaign.invalidate_recordset()
        self.assertEqual(campaign.state, "launched")
        self.assertEqual(campaign.launch_jobs_pending, 0)
        self.assertEqual(set(jobs.mapped("state")), {"done"})
        self.assertFalse(campaign.launch_graph_uuid, "no launch runs any more")
        self.assertEqual(campaign.order_ids.partner_id, accounts)
        self.assertEqual(len(campaign.order_ids.order_line), len(campaign.term_ids))
        self.assertEqual(campaign.order_ids.order_line.renewal_term_id, campaign.term_ids)
        people = self.env["res.partner"].search(
            [
                ("commercial_partner_id", "in", accounts.ids),
                ("flexnet_user_name", "!=", False),
                ("flexnet_can_login", "=", True),
                ("email", "!=", False),
            ]
        )
        self.assertEqual(campaign.recipient_ids.partner_id, people)
        for recipient in campaign.recipient_ids:
            self.assertEqual(recipient.order_id.partner_id, recipient.account_id)
        self.assertEqual(len(campaign.recipient_ids.filtered(lambda r: r.email_normalized == shared)), 2)
        # one contact per address on the list, the shared one too
        self.assertEqual(
            sorted(campaign.mailing_list_id.contact_ids.mapped("email_normalized")),
            sorted(set(people.mapped("email_normalized"))),
        )
        self.assertEqual(campaign.mailing_id.mailing_model_real, "maintenance.renewal.recipient")

    def _launched_with_a_failed_batch(self):
        """A launch whose first round of batches ran, and whose last batch failed for good."""
        campaign = self._launched()
        jobs = self._jobs(campaign)
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN, until=lambda *job: True)
        failed = jobs.filtered(lambda j: j.state == "pending")
        self.assertEqual(len(failed), 1)
        failed.write({"state": "failed", "exc_info": "simulated failure"})
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        campaign.invalidate_recordset()
        return campaign, jobs, failed

    def test_a_failed_launch_is_launched_again_without_repeating_anything(self):
        campaign, first, failed = self._launched_with_a_failed_batch()
        self.assertEqual(campaign.state, "launching", "the mailing waits for every batch")
        self.assertFalse(campaign.mailing_id)
        self.assertEqual(campaign.launch_jobs_failed, 1)
        self.assertEqual(campaign.launch_jobs_pending, 0, "nothing of that launch will run any more")
        quoted = campaign.order_ids
        self.assertEqual(len(quoted), 2)
        with self.assertRaisesRegex(UserError, "is launched"):
            campaign.action_preview()

        campaign.action_launch()
        second = self._jobs(campaign)
        self.assertFalse(second & first, "a launch of its own")
        self.assertEqual(failed.state, "cancelled", "the former launch's failed job is cancelled")
        self.assertEqual(first.filtered(lambda j: j.method_name == "_job_launch_finish").state, "cancelled")
        # someone requeues it all the same: it does nothing any more
        failed.requeue()
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        campaign.invalidate_recordset()
        self.assertEqual(campaign.state, "launched")
        self.assertEqual(failed.state, "done")
        self.assertIn("superseded", failed.result)
        self.assertEqual(len(campaign.order_ids), 3)
        self.assertLessEqual(quoted, campaign.order_ids)
        self.assertEqual(len(campaign.order_ids.order_line), len(campaign.term_ids), "no term quoted twice")
        self.assertEqual(campaign.order_ids.order_line.renewal_term_id, campaign.term_ids)

    def test_a_failed_batch_set_to_done_by_hand_is_quoted_by_the_last_job(self):
        campaign, _jobs, failed = self._launched_with_a_failed_batch()
        failed.button_done()  # what a queue_job manager may do
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        campaign.invalidate_recordset()
        self.assertEqual(campaign.state, "launched")
        self.assertEqual(len(campaign.order_ids), 3, "the skipped batch's account is quoted all the same")
        self.assertEqual(campaign.order_ids.order_line.renewal_term_id, campaign.term_ids)
        self.assertEqual(campaign.recipient_ids.account_id, campaign.order_ids.partner_id)

    def test_a_list_job_set_to_done_by_hand_is_listed_by_the_last_job(self):
        campaign = self._launched()
        parts = self._jobs(campaign).filtered(lambda j: j.method_name == "_job_launch_list")
        people = campaign._recipient_partners(campaign.term_ids.account_id)
        addresses = {p.email_normalized for p in people if p.email_normalized}

        def share(job):
            part, count = job.args
            return {a for a in addresses if zlib.crc32(a.encode()) % count == part}

        skipped = max(parts, key=lambda job: len(share(job)))
        self.assertTrue(share(skipped))
        skipped.button_done()  # what a queue_job manager may do
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        campaign.invalidate_recordset()
        self.assertEqual(campaign.state, "launched")
        self.assertEqual(
            sorted(campaign.mailing_list_id.contact_ids.mapped("email_normalized")),
            sorted(addresses),
            "the skipped share's addresses are listed all the same",
        )

    def test_a_batch_set_to_done_by_hand_on_a_relaunch_writes_to_its_new_members(self):
        campaign = self._launched()
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        account = self.accounts["NW-0042"]
        newcomer = self._new_member()
        campaign.action_launch()  # Add what is new
        batch = self._jobs(campaign).filtered(
            lambda j: j.method_name == "_job_launch_accounts" and j.args[0] == [account.id]
        )
        batch.button_done()  # what a queue_job manager may do
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        campaign.invalidate_recordset()
        self.assertEqual(campaign.launch_jobs_pending, 0)
        self.assertIn(newcomer, campaign.recipient_ids.partner_id, "written to by the last job")
        self.assertIn(
            "nia@northwind.example.com", campaign.mailing_list_id.contact_ids.mapped("email_normalized")
        )

    def test_a_deleted_failed_job_leaves_the_launch_to_launch_again(self):
        campaign, _jobs, failed = self._launched_with_a_failed_batch()
        failed.unlink()
        campaign.invalidate_recordset()
        self.assertEqual(campaign.launch_jobs_pending, 0, "the last job waits for a job that is gone")
        campaign.action_launch()
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        campaign.invalidate_recordset()
        self.assertEqual(campaign.state, "launched")
        self.assertEqual(len(campaign.order_ids), 3)

    def test_terms_being_quoted_by_a_launch_are_targeted_by_no_other_campaign(self):
        window = {"expiring_from": self.today, "expiring_to": self.today + timedelta(days=90)}
        earlier = self.Campaign.create({"name": "Previewed before", **window})
        earlier.action_preview()
        campaign = self._launched()
        self.assertTrue(earlier.term_ids & campaign.term_ids)
        # its preview is older than the launch: launching it quotes none of those terms
        with self.assertRaisesRegex(UserError, "targets no maintenance"):
            earlier.action_launch()
        other = self.Campaign.create({"name": "Same quarter, again", **window})
        other.action_preview()
        self.assertFalse(other.term_ids & campaign.term_ids)
        with self.assertRaisesRegex(UserError, "being launched"):
            campaign.unlink()
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        other.action_preview()
        self.assertFalse(other.term_ids, "quoted by the first campaign meanwhile")

    def test_adding_what_is_new_in_jobs_keeps_the_campaign_launched(self):
        campaign = self._launched()
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        campaign.invalidate_recordset()
        orders, mailing = campaign.order_ids, campaign.mailing_id
        newcomer = self._new_member()
        campaign.action_launch()
        self.assertEqual(campaign.state, "launched")
        self.assertTrue(campaign.launch_jobs_pending)
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        campaign.invalidate_recordset()
        self.assertEqual(campaign.launch_jobs_pending, 0)
        self.assertEqual(campaign.order_ids, orders)
        self.assertEqual(campaign.mailing_id, mailing)
        self.assertIn(newcomer, campaign.recipient_ids.partner_id)
        self.assertIn(
            "nia@northwind.example.com", campaign.mailing_list_id.contact_ids.mapped("email_normalized")
        )

    def test_maintenance_quoted_by_hand_before_the_launch_leaves_the_campaign(self):
        account = self.accounts["NW-0042"]
        campaign = self.Campaign.create(
            {
                "name": "Quoted by hand meanwhile",
                "expiring_from": self.today,
                "expiring_to": self.today + timedelta(days=90),
            }
        )
        campaign.action_preview()
        by_hand = campaign.term_ids.filtered(lambda term: term.account_id == account)
        self.assertTrue(by_hand)
        # between the preview and the launch, a salesperson quotes that account's maintenance
        self.env["sale.order"].with_user(self.salesman).create(
            {
                "partner_id": account.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": term.maintenance_product_id.id,
                            "product_uom_qty": term.seats,
                            "renewal_term_id": term.id,
                        }
                    )
                    for term in by_hand
                ],
            }
        )
        previewed = campaign.term_count
        campaign.action_launch()
        self.assertFalse(campaign.term_ids & by_hand, "no longer the campaign's maintenance")
        self.assertEqual(campaign.term_count, previewed - len(by_hand))
        self.run_queued_jobs(channels=CHANNELS, models=CAMPAIGN)
        campaign.invalidate_recordset()
        self.assertEqual(campaign.state, "launched")
        self.assertTrue(campaign.order_ids)
        self.assertNotIn(account, campaign.order_ids.partner_id)
        self.assertNotIn(account, campaign.recipient_ids.account_id, "nobody there is written to about it")
        self.assertEqual(campaign.recipient_ids.account_id, campaign.order_ids.partner_id)

    def test_a_launch_of_one_batch_is_done_at_once(self):
        self.env["ir.config_parameter"].set_param(LAUNCH_BATCH_PARAM, 250)
        campaign = self._launched()
        self.assertEqual(campaign.state, "launched")
        self.assertFalse(campaign.launch_graph_uuid)
        self.assertEqual(len(campaign.order_ids), 3)
        self.assertTrue(campaign.mailing_id)
