from ast import literal_eval
from datetime import timedelta

from lxml import etree

from odoo.tests import tagged

from .common import RenewalCase


@tagged("post_install", "-at_install")
class TestReminderReachesPeople(RenewalCase):
    """The past-due follow-up, run as its scheduled action does, writes to the account's
    people (its FlexNet members and billing contact), never to the account record."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.nw, cls.ini = cls.accounts["NW-0042"], cls.accounts["INI-220"]
        cls.carla = Partner.search([("flexnet_user_name", "=", "carla@northwind.example.com")])
        cls.dev = Partner.search([("flexnet_user_name", "=", "dev.patel@northwind.example.com")])
        cls.peter = Partner.search([("flexnet_user_name", "=", "peter.gibbons@initech.example.com")])
        cls.samir = Partner.search([("flexnet_user_name", "=", "samir@initech.example.com")])
        cls.billing = Partner.create(
            {
                "name": "Northwind Accounts Payable",
                "type": "invoice",
                "parent_id": cls.nw.id,
                "email": "ap@northwind.example.com",
            }
        )
        cls.cron = cls.env.ref("maintenance_renewal.ir_cron_followup")

    def _run_cron(self):
        """What the scheduler runs: the scheduled action's code, as its user, in this
        transaction (the scheduler's own cursor would not see the test's data)."""
        self.cron.ir_actions_server_id.with_user(self.cron.user_id).run()
        self.env.invalidate_all()

    def _reminders(self, account):
        """The reminders posted on the account: its e-mailed messages (subtype Discussions)."""
        return self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", account.id),
                ("message_type", "=", "comment"),
                ("subtype_id", "=", self.env.ref("mail.mt_comment").id),
            ]
        )

    def _queued(self, account):
        """The e-mails of the reminders to the account's people (partners without an internal
        user); the salesperson following the account gets a copy through his notification
        preferences, checked apart."""
        mails = self.env["mail.mail"].search([("mail_message_id", "in", self._reminders(account).ids)])
        return mails.filtered(lambda m: any(p.partner_share for p in m.recipient_ids))

    def _people(self, account):
        return self._queued(account).recipient_ids.filtered("partner_share")

    def test_members_and_billing_contact_receive_the_reminder(self):
        self.assertTrue(self.carla and self.dev and self.peter and self.samir)
        self.assertFalse(self.nw.email)  # the account record itself has no address
        self._run_cron()

        mails = self._queued(self.nw)
        self.assertTrue(mails, "the reminder is in the mail queue")
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        self.assertEqual(self._people(self.nw), self.carla | self.dev | self.billing)
        self.assertNotIn(self.nw, mails.recipient_ids)
        self.assertFalse(any(mails.mapped("email_to")))  # addressed to the people's partners only
        self.assertIn("DataVault Server", mails[0].body_html)
        [message] = self._reminders(self.nw)
        self.assertEqual(message.partner_ids, self.carla | self.dev | self.billing)
        # nobody else outside the company: other copies only go to internal followers
        others = self.env["mail.mail"].search([("mail_message_id", "=", message.id)]).recipient_ids
        self.assertFalse((others - self._people(self.nw)).filtered("partner_share"))
        # Initech has no invoice address and no e-mail of its own: its members only
        self.assertEqual(self._people(self.ini), self.peter | self.samir)
        # accounts not past due get nothing
        self.assertFalse(self._queued(self.accounts["ACME-001"]))

    def test_run_twice_the_same_day_sends_once(self):
        self._run_cron()
        queued = self.env["mail.mail"].search([("model", "=", "res.partner")])
        self.assertEqual(len(self._reminders(self.nw)), 1)
        self._run_cron()
        self.assertEqual(self.env["mail.mail"].search([("model", "=", "res.partner")]), queued)
        self.assertEqual(len(self._reminders(self.nw)), 1)
        self.assertEqual(len(self._reminders(self.ini)), 1)

    def test_a_user_flexnet_deactivated_gets_nothing(self):
        # Samir left Initech: FlexNet keeps his user, inactive (the sync keeps him as a contact)
        self.samir.flexnet_can_login = False
        self._run_cron()
        self.assertEqual(self._people(self.ini), self.peter)
        self.assertNotIn(self.samir, [contact for contact, _role in self.ini._renewal_contacts()[self.ini]])

    def test_opted_out_people_get_nothing(self):
        # Dev blacklisted his address; the billing contact unsubscribed from a renewal campaign
        self.env["mail.blacklist"]._add("dev.patel@northwind.example.com")
        campaign = self.env["maintenance.renewal.campaign"].create({"name": "Spring renewals"})
        campaign._sync_mailing_list(self.env["maintenance.renewal.recipient"])
        mailing_list = campaign.mailing_list_id
        contact = self.env["mailing.contact"].create(
            {"name": "AP", "email": "ap@northwind.example.com", "list_ids": [(4, mailing_list.id)]}
        )
        self.env["mailing.subscription"].search(
            [("contact_id", "=", contact.id), ("list_id", "=", mailing_list.id)]
        ).opt_out = True
        self._run_cron()
        self.assertEqual(self._people(self.nw), self.carla)
        # everybody opted out: no e-mail, a note on the account says why
        for person in self.peter | self.samir:
            self.env["mail.blacklist"]._add(person.email)
        reminded = self._reminders(self.ini)
        self.assertEqual(len(reminded), 1)
        self.ini.renewal_followup_step_id = False  # the step runs again for Initech
        self._run_cron()
        self.assertEqual(self._reminders(self.ini), reminded, "no new e-mail")
        note = self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", self.ini.id),
                ("message_type", "=", "notification"),
            ],
            limit=1,
        )
        self.assertIn("no member nor billing contact", note.body)
        self.assertTrue(self.ini.renewal_followup_step_id, "the step counts as run: not retried every day")

    def test_fno_roles_choose_the_members(self):
        steps = self.env["maintenance.renewal.followup.step"].search([])
        steps.write({"recipient_roles": "Portal Admin", "send_to_billing": False})
        self._run_cron()
        self.assertEqual(self._people(self.nw), self.carla)
        self.assertEqual(self._people(self.ini), self.peter)

    def test_a_role_nobody_holds_falls_back_to_every_member(self):
        self.env["maintenance.renewal.followup.step"].search([]).recipient_roles = "Billing Admin, Owner"
        self._run_cron()
        self.assertEqual(self._people(self.nw), self.carla | self.dev | self.billing)

    def test_admins_come_first(self):
        contacts = self.nw._renewal_contacts()[self.nw]
        self.assertEqual([role for _c, role in contacts], ["admin", "member", "billing"])
        self.assertEqual(contacts[0][0], self.carla)
        # a contact sharing a member's address is written to once
        self.billing.email = "CARLA@northwind.example.com"
        contacts = self.nw._renewal_contacts()[self.nw]
        self.assertEqual([c for c, _r in contacts], [self.carla, self.dev])


@tagged("post_install", "-at_install")
class TestOneDefinitionOfPastDue(RenewalCase):
    """Past due means ended longer ago than the company's maintenance grace: on the portal's
    entitlement lines, the terms, the dashboard and the past-due accounts alike."""

    def _past_due_accounts(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "maintenance_renewal.res_partner_past_due_action"
        )
        self.assertEqual(literal_eval(action["context"]).get("search_default_filter_past_due"), 1)
        arch = self.env["res.partner"].get_view(action["search_view_id"][0], "search")["arch"]
        [node] = etree.fromstring(arch).xpath("//filter[@name='filter_past_due']")
        domain = literal_eval(action["domain"]) + literal_eval(node.get("domain"))
        return self.env["res.partner"].search(domain)

    def _screens(self):
        line = self.term("ENT-NW-2002-L1").line_id
        line.invalidate_recordset(["maintenance_status"])
        Line = self.env["flexnet.entitlement.line"]
        board = self.env["maintenance.renewal.dashboard"].create({})
        return {
            "portal": line.maintenance_status,
            "portal_search": bool(
                Line.search([("id", "=", line.id), ("maintenance_status", "=", "past_due")])
            ),
            "term": self.term("ENT-NW-2002-L1").state,
            "dashboard": self.accounts["NW-0042"]
            in self.Term.search(board.action_view_overdue()["domain"]).account_id,
            "accounts": self.accounts["NW-0042"] in self._past_due_accounts(),
        }

    def test_default_grace_keeps_a_recent_end_in_grace(self):
        # Northwind's DataVault maintenance ended 20 days ago; the grace is 30 days by default
        self.assertEqual(self.env.company.maintenance_grace_days, 30)
        self.assertEqual(
            self._screens(),
            {
                "portal": "grace",
                "portal_search": False,
                "term": "grace",
                "dashboard": False,
                "accounts": False,
            },
        )

    def test_a_shorter_grace_makes_it_past_due_everywhere(self):
        self.env.company.maintenance_grace_days = 10
        self.assertEqual(
            self._screens(),
            {
                "portal": "past_due",
                "portal_search": True,
                "term": "past_due",
                "dashboard": True,
                "accounts": True,
            },
        )
        board = self.env["maintenance.renewal.dashboard"].create({})
        self.assertEqual(board.overdue_accounts, 2)  # Northwind and Initech
        self.assertEqual(board.grace_amount, 0.0)

    def test_the_boundary_day_is_the_same_on_every_screen(self):
        ended = (self.today - self.term("ENT-NW-2002-L1").date_end).days
        self.env.company.maintenance_grace_days = ended  # ended exactly the grace ago: still in grace
        self.assertEqual(self._screens()["portal"], "grace")
        self.assertEqual(self._screens()["term"], "grace")
        self.env.company.maintenance_grace_days = ended - 1
        screens = self._screens()
        self.assertEqual((screens["portal"], screens["term"]), ("past_due", "past_due"))
        self.assertTrue(screens["dashboard"] and screens["accounts"])

    def test_the_settings_page_edits_the_grace(self):
        settings = self.env["res.config.settings"].create({"maintenance_grace_days": 5})
        settings.execute()
        self.assertEqual(self.env.company.maintenance_grace_days, 5)
        self.assertEqual(self.term("ENT-NW-2002-L1").state, "past_due")
        self.assertEqual(
            self.term("ENT-NW-2002-L1").date_end, self.today - timedelta(days=20), "the demo's end date"
        )
