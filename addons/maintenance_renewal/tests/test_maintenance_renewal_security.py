import base64

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from .common import RenewalCase


@tagged("post_install", "-at_install")
class TestMaintenanceRenewalGroups(TransactionCase):
    def test_manager_implies_user(self):
        manager = new_test_user(self.env, "t_manager", groups="maintenance_renewal.group_renewal_manager")
        self.assertTrue(manager.has_group("maintenance_renewal.group_renewal_user"))
        self.assertTrue(manager.has_group("mass_mailing.group_mass_mailing_user"))
        # a campaign quotes every targeted account, whoever its salesperson
        self.assertTrue(manager.has_group("sales_team.group_sale_salesman_all_leads"))
        self.assertFalse(manager.has_group("sales_team.group_sale_manager"))

    def test_user_is_not_manager(self):
        user = new_test_user(self.env, "t_user", groups="maintenance_renewal.group_renewal_user")
        self.assertFalse(user.has_group("maintenance_renewal.group_renewal_manager"))

    def test_plain_employee_has_neither(self):
        employee = new_test_user(self.env, "t_employee", groups="base.group_user")
        self.assertFalse(employee.has_group("maintenance_renewal.group_renewal_user"))


@tagged("post_install", "-at_install")
class TestMaintenanceRenewalAccess(RenewalCase):
    def test_salespeople_see_the_maintenance_of_their_own_accounts(self):
        mine = self.Term.with_user(self.salesman).search([])
        self.assertEqual(
            mine.account_id, self.accounts["ACME-001"] | self.accounts["NW-0042"] | self.accounts["UMB-515"]
        )
        theirs = self.Term.with_user(self.other_salesman).search([])
        self.assertEqual(
            theirs.account_id, self.accounts["GLX-017"] | self.accounts["INI-220"] | self.accounts["SSP-900"]
        )
        glx = self.term("ENT-GLX-3001-L1")
        with self.assertRaises(AccessError):
            glx.with_user(self.salesman).read(["amount"])
        self.assertEqual(len(self.Term.with_user(self.manager).search([])), self.demo_maintenance_count())

    def test_salespeople_without_the_renewal_group_see_nothing(self):
        seller = new_test_user(self.env, "rn_plain", groups="sales_team.group_sale_salesman")
        with self.assertRaises(AccessError):
            self.Term.with_user(seller).search([])
        with self.assertRaises(AccessError):
            self.accounts["NW-0042"].with_user(seller).read(["renewal_overdue_amount"])
        with self.assertRaises(AccessError):
            self.env["maintenance.renewal.campaign"].with_user(seller).search([])

    def test_only_managers_run_campaigns_imports_and_refreshes(self):
        Campaign = self.env["maintenance.renewal.campaign"]
        with self.assertRaises(AccessError):
            Campaign.with_user(self.salesman).create({"name": "Mine"})
        campaign = Campaign.with_user(self.manager).create({"name": "Managers'"})
        self.assertEqual(Campaign.with_user(self.salesman).search([]), campaign)
        with self.assertRaises(AccessError):
            campaign.with_user(self.salesman).action_preview()
        with self.assertRaises(AccessError):
            self.env["maintenance.renewal.recipient"].with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            self.env["maintenance.renewal.member.import"].with_user(self.salesman).create(
                {"backend_id": self.backend.id, "data_file": base64.b64encode(b"a,b\n1,2\n")}
            )
        with self.assertRaises(AccessError):
            self.Term.with_user(self.salesman).action_refresh()
        with self.assertRaises(AccessError):
            self.env["maintenance.renewal.followup.step"].with_user(self.salesman).create(
                {"name": "x", "days": 5}
            )
        with self.assertRaises(AccessError):
            self.env["maintenance.renewal.dashboard"].with_user(self.salesman).create({})
        self.assertTrue(self.Term.with_user(self.manager).action_refresh())

    def test_another_companys_manager_sees_nothing_of_this_company(self):
        other = self.env["res.company"].create({"name": "Other Software Vendor"})
        stranger = new_test_user(
            self.env,
            "rn_other_manager",
            groups="sales_team.group_sale_manager,maintenance_renewal.group_renewal_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        campaign = (
            self.env["maintenance.renewal.campaign"]
            .with_user(self.manager)
            .create({"name": "This company's renewals", "include_past_due": True})
        )
        campaign.action_preview()
        campaign.action_launch()
        self.assertTrue(campaign.recipient_ids)
        for model in (
            "maintenance.renewal.term",
            "maintenance.renewal.campaign",
            "maintenance.renewal.recipient",
            "maintenance.renewal.followup.step",
        ):
            self.assertFalse(self.env[model].with_user(stranger).search([]), model)
        with self.assertRaises(AccessError):
            campaign.with_user(stranger).read(["name"])
        with self.assertRaises(AccessError):
            self.term("ENT-NW-2001-L1").with_user(stranger).read(["amount"])
        # and the manager of this company still sees all of it
        self.assertEqual(len(self.Term.with_user(self.manager).search([])), self.demo_maintenance_count())
