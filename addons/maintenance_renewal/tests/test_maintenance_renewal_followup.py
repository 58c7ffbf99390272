from ast import literal_eval
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import RenewalCase


@tagged("post_install", "-at_install")
class TestPastDueFollowup(RenewalCase):
    def _messages(self, account):
        return self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", account.id), ("message_type", "=", "comment")]
        )

    def test_steps_run_once_each_at_their_day(self):
        Step = self.env["maintenance.renewal.followup.step"]
        step_15 = self.env.ref("maintenance_renewal.followup_step_15")
        step_30 = self.env.ref("maintenance_renewal.followup_step_30")
        nw, ini = self.accounts["NW-0042"], self.accounts["INI-220"]
        self.assertEqual(Step._run_followup(), 2)
        # NW is 20 days past due (step at 15 days), Initech 75 (it jumps to the 30-day step)
        self.assertEqual(nw.renewal_followup_step_id, step_15)
        self.assertEqual(ini.renewal_followup_step_id, step_30)
        [mail] = self._messages(nw)
        self.assertIn("DataVault Server", mail.body)
        # addressed to the account's people, not to the account record (which has no e-mail)
        members = nw.flexnet_member_ids
        self.assertTrue(members)
        self.assertEqual(mail.partner_ids, members)
        [activity] = nw.activity_ids
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.activity_type_id, step_15.activity_type_id)
        self.assertEqual(ini.activity_ids.user_id, self.other_salesman)
        self.assertEqual(nw.renewal_last_reminder, self.today)
        self.assertEqual(nw.renewal_last_contact.date(), self.today)
        self.assertFalse(self.accounts["ACME-001"].renewal_followup_step_id)

        # the next day nothing is repeated
        self.assertEqual(Step._run_followup(), 0)
        self.assertEqual(len(self._messages(nw)), 1)
        self.assertEqual(len(nw.activity_ids), 1)

        # eleven days later NW reaches 31 days (the 30-day step) and Umbrella's maintenance,
        # ended the day before, starts at the first step; Initech has nothing new
        with freeze_time(self.today + timedelta(days=11)):
            self.Term._refresh()
            self.assertEqual(Step._run_followup(), 2)
        self.assertEqual(nw.renewal_followup_step_id, step_30)
        self.assertEqual(
            self.accounts["UMB-515"].renewal_followup_step_id,
            self.env.ref("maintenance_renewal.followup_step_0"),
        )
        self.assertEqual(len(self._messages(nw)), 2)
        self.assertEqual(len(self._messages(ini)), 1)

    def test_renewed_accounts_leave_the_follow_up(self):
        Step = self.env["maintenance.renewal.followup.step"]
        nw = self.accounts["NW-0042"]
        Step._run_followup()
        self.assertTrue(nw.renewal_followup_step_id)
        line = self.term("ENT-NW-2002-L1").line_id
        line.maintenance_end = self.today + timedelta(days=300)
        self.Term._refresh(line_ids=line.ids)
        self.assertEqual(nw.renewal_overdue_amount, 0.0)
        Step._run_followup()
        self.assertFalse(nw.renewal_followup_step_id)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "maintenance_renewal.res_partner_past_due_action"
        )
        past_due = self.env["res.partner"].search(literal_eval(action["domain"]))
        self.assertNotIn(nw, past_due)
        self.assertIn(self.accounts["INI-220"], past_due)

    def test_archived_steps_do_not_run(self):
        self.env["maintenance.renewal.followup.step"].search([]).active = False
        self.assertEqual(self.env["maintenance.renewal.followup.step"]._run_followup(), 0)
        self.assertFalse(self.accounts["NW-0042"].activity_ids)
