from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..models.maintenance_renewal_term import REFRESHED_ON
from .common import RenewalCase


@tagged("post_install", "-at_install")
class TestRenewalCampaign(RenewalCase):
    def _campaign(self, **values):
        return (
            self.env["maintenance.renewal.campaign"]
            .with_user(self.manager)
            .create(
                {
                    "name": "Next quarter",
                    "expiring_from": self.today,
                    "expiring_to": self.today + timedelta(days=90),
                    **values,
                }
            )
        )

    def _members(self, *codes):
        return self.env["res.partner"].search(
            [("parent_id", "in", [self.accounts[c].id for c in codes]), ("flexnet_user_name", "!=", False)]
        )

    def test_preview_targets_exactly_the_window(self):
        campaign = self._campaign()
        campaign.action_preview()
        self.assertEqual(
            sorted(campaign.term_ids.mapped("activation_id")),
            ["ENT-ACME-1002-L1", "ENT-NW-2001-L1", "ENT-UMB-5001-L1"],
        )
        self.assertEqual(campaign.account_count, 3)
        self.assertEqual(campaign.amount_total, 3 * 200.0 + 4 * 100.0 + 8 * 100.0)
        self.assertEqual(campaign.contact_count, len(self._members("ACME-001", "NW-0042", "UMB-515")))
        self.assertEqual(campaign.contact_count, 6)

    def test_filters(self):
        past_due = self._campaign(include_past_due=True, past_due_max_days=30)
        past_due.action_preview()
        self.assertIn("ENT-NW-2002-L1", past_due.term_ids.mapped("activation_id"))  # 20 days past due
        self.assertNotIn("ENT-INI-4001-L1", past_due.term_ids.mapped("activation_id"))  # 75 days
        by_product = self._campaign(product_ids=[(6, 0, self.products["CADS-PRO-LIC"].ids)])
        by_product.action_preview()
        self.assertEqual(
            sorted(by_product.term_ids.mapped("activation_id")), ["ENT-NW-2001-L1", "ENT-UMB-5001-L1"]
        )
        germany = self.env.ref("base.de")
        by_country = self._campaign(country_ids=[(6, 0, germany.ids)])
        by_country.action_preview()
        self.assertEqual(by_country.term_ids.account_id, self.accounts["UMB-515"])
        partners = self.env.ref("flexnet_sync.account_type_channel_partner")
        by_type = self._campaign(
            account_type_ids=[(6, 0, partners.ids)], expiring_to=self.today + timedelta(days=365)
        )
        by_type.action_preview()
        self.assertEqual(by_type.term_ids.account_id, self.accounts["SSP-900"])
        self.assertEqual(len(by_type.term_ids), 2)

    def test_fno_roles_choose_the_members_a_campaign_writes_to(self):
        nw = self.accounts["NW-0042"]
        billing = self.env["res.partner"].create(
            {
                "name": "NW Accounts",
                "type": "invoice",
                "parent_id": nw.id,
                "email": "ap@northwind.example.com",
            }
        )
        campaign = self._campaign(recipient_roles="Portal Admin")
        campaign.action_preview()
        campaign.action_launch()
        admins = self._members("ACME-001", "NW-0042", "UMB-515").filtered(
            lambda m: m.flexnet_roles == "Portal Admin"
        )
        self.assertEqual(len(admins), 3)  # one admin per account
        self.assertEqual(campaign.recipient_ids.partner_id, admins | billing)
        self.assertEqual(set(campaign.recipient_ids.mapped("role")), {"admin", "billing"})

    def test_launch_quotes_each_account_once_and_lists_its_members(self):
        nw = self.accounts["NW-0042"]
        billing = self.env["res.partner"].create(
            {
                "name": "NW Accounts",
                "type": "invoice",
                "parent_id": nw.id,
                "email": "ap@northwind.example.com",
            }
        )
        campaign = self._campaign()
        campaign.action_preview()
        campaign.action_launch()
        self.assertEqual(campaign.state, "launched")
        orders = campaign.order_ids
        self.assertEqual(len(orders), 3)
        self.assertEqual(orders.partner_id, self.accounts["ACME-001"] | nw | self.accounts["UMB-515"])
        nw_order = orders.filtered(lambda o: o.partner_id == nw)
        [line] = nw_order.order_line
        term = self.term("ENT-NW-2001-L1")
        self.assertEqual(line.product_id, self.products["CADS-MNT-1Y"])
        self.assertEqual(line.product_uom_qty, 4)
        self.assertEqual(line.flexnet_parent_line_id, term.line_id)
        self.assertEqual(line.renewal_term_id, term)
        self.assertEqual(nw_order.amount_untaxed, 400.0)
        self.assertEqual(nw_order.user_id, self.salesman)
        self.assertIn(str(term.date_end + timedelta(days=1)), line.name)
        self.assertEqual(term.renewal_order_id, nw_order)
        # recipients: every member of the three accounts, admins marked, and the billing contact
        members = self._members("ACME-001", "NW-0042", "UMB-515")
        self.assertEqual(campaign.recipient_ids.partner_id, members | billing)
        roles = {r.partner_id.email: r.role for r in campaign.recipient_ids}
        self.assertEqual(roles["carla@northwind.example.com"], "admin")
        self.assertEqual(roles["dev.patel@northwind.example.com"], "member")
        self.assertEqual(roles["ap@northwind.example.com"], "billing")
        dev = campaign.recipient_ids.filtered(lambda r: r.email == "dev.patel@northwind.example.com")
        self.assertEqual(dev.order_id, nw_order)
        self.assertIn(nw_order.access_token, dev.renew_url)
        self.assertEqual(dev.term_ids, term)
        self.assertIn("CAD Studio", str(dev.renewal_html))
        self.assertNotIn("SimFlow", str(dev.renewal_html))  # ACME's product, not Northwind's
        # the mailing list and the mass mailing
        self.assertEqual(
            set(campaign.mailing_list_id.contact_ids.mapped("email_normalized")),
            set((members | billing).mapped("email_normalized")),
        )
        mailing = campaign.mailing_id
        self.assertEqual(mailing.mailing_model_real, "maintenance.renewal.recipient")
        self.assertEqual(
            self.env["maintenance.renewal.recipient"].search(mailing._get_recipients_domain()),
            campaign.recipient_ids,
        )

        # launching again repeats nothing; a new member is added
        newcomer = self.env["res.partner"].create(
            {
                "name": "Nia New",
                "parent_id": nw.id,
                "email": "nia@northwind.example.com",
                "flexnet_user_name": "nia@northwind.example.com",
                "flexnet_backend_id": self.backend.id,
                "flexnet_can_login": True,  # an active FlexNet user
            }
        )
        campaign.action_launch()
        self.assertEqual(campaign.order_ids, orders)
        self.assertEqual(len(nw_order.order_line), 1)
        self.assertEqual(campaign.recipient_ids.partner_id, members | billing | newcomer)
        self.assertEqual(campaign.mailing_id, mailing)
        self.assertEqual(len(campaign.mailing_list_id.contact_ids), len(members | billing | newcomer))

    def test_quotations_get_their_fiscal_position_and_salesperson_warehouse(self):
        umb, acme = self.accounts["UMB-515"], self.accounts["ACME-001"]
        german = self.env["account.fiscal.position"].create(
            {"name": "Germany (renewal test)", "auto_apply": True, "country_id": self.env.ref("base.de").id}
        )
        acme.user_id = self.other_salesman
        has_warehouses = "warehouse_id" in self.env["sale.order"]._fields
        if has_warehouses:  # sale_stock: the salesperson's own warehouse
            company = self.env.company
            default = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
            own = self.env["stock.warehouse"].create({"name": "Renewal test depot", "code": "RNTD"})
            self.salesman.with_company(company).property_warehouse_id = own
        campaign = self._campaign()
        campaign.action_preview()
        campaign.action_launch()
        orders = {order.partner_id: order for order in campaign.order_ids}
        FiscalPosition = self.env["account.fiscal.position"].with_company(campaign.company_id)
        for account, order in orders.items():
            self.assertEqual(order.fiscal_position_id, FiscalPosition._get_fiscal_position(account))
        self.assertTrue(orders[umb].fiscal_position_id)  # German: a fiscal position applies
        self.assertIn(german, FiscalPosition.search([]))
        if has_warehouses:
            self.assertEqual(orders[umb].warehouse_id, own)
            self.assertEqual(orders[self.accounts["NW-0042"]].warehouse_id, own)
            self.assertEqual(orders[acme].warehouse_id, default)

    def test_quotations_and_lines_get_their_own_defaults_and_computed_values(self):
        """What other modules and the configuration give a quotation made by hand, a campaign's
        quotations get too: the user's own defaults, the fiscal position of the account's
        country, the analytic distribution of the product's and of the account's models, the
        account's pricelist; launched by a user with only the renewal manager group."""
        umb, acme, nw = self.accounts["UMB-515"], self.accounts["ACME-001"], self.accounts["NW-0042"]
        manager = new_test_user(
            self.env, "rn_manager_only", groups="maintenance_renewal.group_renewal_manager"
        )
        tag = self.env["crm.tag"].create({"name": "Renewal (test default)"})
        self.env["ir.default"].set(
            "sale.order", "tag_ids", tag.ids, user_id=manager.id, company_id=self.env.company.id
        )
        german = self.env["account.fiscal.position"].create(
            {
                "name": "Germany (renewal test)",
                "auto_apply": True,
                "sequence": 1,
                "country_id": self.env.ref("base.de").id,
            }
        )
        plan = self.env["account.analytic.plan"].create({"name": "Renewal test plan"})
        by_product, by_partner = self.env["account.analytic.account"].create(
            [
                {"name": "CAD maintenance (test)", "plan_id": plan.id},
                {"name": "ACME (test)", "plan_id": plan.id},
            ]
        )
        self.env["account.analytic.distribution.model"].create(
            [
                {
                    "product_id": self.products["CADS-MNT-1Y"].id,
                    "analytic_distribution": {str(by_product.id): 100},
                },
                {"partner_id": acme.id, "analytic_distribution": {str(by_partner.id): 100}},
            ]
        )
        rebate = self.env["product.pricelist"].create(
            {
                "name": "Renewal test: 10 % off",
                "item_ids": [
                    fields.Command.create(
                        {"compute_price": "percentage", "percent_price": 10, "applied_on": "3_global"}
                    )
                ],
            }
        )
        nw.property_product_pricelist = rebate
        campaign = self._campaign().with_user(manager)
        campaign.action_preview()
        campaign.action_launch()
        orders = {order.partner_id: order for order in campaign.order_ids}
        self.assertEqual(set(orders), {umb, acme, nw})
        for order in orders.values():
            self.assertEqual(order.tag_ids, tag, "the launching user's default")
            self.assertEqual(order.create_uid, manager)
        self.assertEqual(orders[umb].fiscal_position_id, german)
        self.assertNotEqual(orders[nw].fiscal_position_id, german)  # British
        self.assertEqual(orders[umb].order_line.analytic_distribution, {str(by_product.id): 100})
        self.assertEqual(orders[nw].order_line.analytic_distribution, {str(by_product.id): 100})
        self.assertEqual(orders[acme].order_line.analytic_distribution, {str(by_partner.id): 100})
        self.assertEqual(orders[nw].pricelist_id, rebate)
        self.assertEqual(orders[nw].amount_untaxed, 4 * 100.0 * 0.9)
        # without the group, no campaign is launched
        seller = new_test_user(self.env, "rn_seller_only", groups="sales_team.group_sale_salesman_all_leads")
        with self.assertRaises(AccessError):
            self._campaign(name="Not mine").with_user(seller).action_launch()

    def test_a_term_quoted_by_another_campaign_is_not_quoted_twice(self):
        first = self._campaign()
        first.action_preview()
        first.action_launch()
        second = self._campaign(name="Overlap", include_past_due=True, past_due_max_days=30)
        second.action_preview()
        self.assertEqual(second.term_ids.mapped("activation_id"), ["ENT-NW-2002-L1"])
        second.action_launch()
        self.assertEqual(len(second.order_ids), 1)
        [line] = second.order_ids.order_line
        # past due: the renewal starts today
        self.assertIn(str(self.today), line.name)

    def test_nothing_to_target_is_a_clear_error(self):
        campaign = self._campaign(
            expiring_from=self.today + timedelta(days=1000), expiring_to=self.today + timedelta(days=1001)
        )
        campaign.action_preview()
        with self.assertRaisesRegex(UserError, "targets no maintenance"):
            campaign.action_launch()

    def test_opt_outs_and_bounces_are_respected_and_nobody_gets_it_twice(self):
        campaign = self._campaign()
        campaign.action_preview()
        campaign.action_launch()
        self.env["mail.blacklist"]._add("bob.nguyen@acme.example.com")
        dev = self.env["res.partner"].search([("email", "=", "dev.patel@northwind.example.com")])
        dev.message_bounce = 3
        chen = self.env["mailing.contact"].search(
            [
                ("email_normalized", "=", "chen.li@acme.example.com"),
                ("list_ids", "in", campaign.mailing_list_id.ids),
            ]
        )
        self.env["mailing.subscription"].search(
            [("contact_id", "=", chen.id), ("list_id", "=", campaign.mailing_list_id.id)]
        ).opt_out = True
        self.assertEqual(campaign.opt_out_count, 3)
        mailing = campaign.mailing_id.with_user(self.manager)
        mailing.keep_archives = True  # keep the sent mails to read them
        mailing.action_send_mail()
        traces = self.env["mailing.trace"].search([("mass_mailing_id", "=", mailing.id)])
        status = {t.email: t.trace_status for t in traces}
        self.assertEqual(status["bob.nguyen@acme.example.com"], "cancel")
        self.assertEqual(status["dev.patel@northwind.example.com"], "cancel")
        self.assertEqual(status["chen.li@acme.example.com"], "cancel")
        for email in (
            "alice.walker@acme.example.com",
            "carla@northwind.example.com",
            "jill.valentine@umbrella.example.com",
        ):
            self.assertNotEqual(status[email], "cancel", email)
        self.assertEqual(len(traces), 6)
        alice_mail = traces.filtered(lambda t: t.email == "alice.walker@acme.example.com").mail_mail_id
        self.assertIn("SimFlow Analyzer", alice_mail.body_html)
        self.assertIn("Alice Walker", alice_mail.body_html)
        acme_order = campaign.order_ids.filtered(lambda o: o.partner_id == self.accounts["ACME-001"])
        trackers = self.env["link.tracker"].search([("mass_mailing_id", "=", mailing.id)])
        self.assertTrue(any(acme_order.access_token in t.url for t in trackers))
        # launching and sending again sends nothing new
        campaign.action_launch()
        with self.assertRaises(UserError):
            mailing.action_send_mail()
        self.assertEqual(self.env["mailing.trace"].search_count([("mass_mailing_id", "=", mailing.id)]), 6)

    def test_confirming_a_renewal_extends_maintenance_in_flexnet(self):
        campaign = self._campaign()
        campaign.action_preview()
        campaign.action_launch()
        term = self.term("ENT-ACME-1002-L1")
        old_end = term.date_end
        order = campaign.order_ids.filtered(lambda o: o.partner_id == self.accounts["ACME-001"])
        order.with_user(self.manager).action_confirm()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        self.assertEqual(term.state, "renewed")
        [fno_line] = self.client().iter_line_items(activation_id="ENT-ACME-1002-L1")
        new_end = old_end + timedelta(days=1) + relativedelta(years=1) - timedelta(days=1)
        self.assertEqual(max(m.expiration_date for m in fno_line.maintenance), new_end)
        self.assertEqual(term.line_id.maintenance_end, new_end)
        new_term = self.term("ENT-ACME-1002-L1")
        self.assertEqual((new_term.date_end, new_term.state), (new_end, "active"))
        self.assertEqual(campaign.won_count, 1)
        self.assertEqual(campaign.won_amount, 600.0)

    def test_a_hand_made_renewal_quotation_is_linked_to_its_term(self):
        term = self.term("ENT-UMB-5001-L1")
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": self.accounts["UMB-515"].id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": self.products["CADS-MNT-1Y"].id,
                                "flexnet_parent_line_id": term.line_id.id,
                            },
                        )
                    ],
                }
            )
        )
        self.assertEqual(order.order_line.renewal_term_id, term)
        campaign = self._campaign()
        campaign.action_preview()
        self.assertNotIn(term, campaign.term_ids)

    def test_preview_and_launch_target_todays_status(self):
        past_due = self.accounts["INI-220"].renewal_term_ids.filtered(lambda t: t.state == "past_due")
        self.assertEqual(len(past_due), 1)
        # its status as a daily job that ran before it ended left it
        self.env.cr.execute(
            "UPDATE maintenance_renewal_term SET state = 'expiring' WHERE id = %s", [past_due.id]
        )
        past_due.invalidate_recordset(["state"])
        Param = self.env["ir.config_parameter"].sudo()
        Param.set_param(REFRESHED_ON, fields.Date.to_string(self.today))
        campaign = self._campaign(expiring_from=self.today - timedelta(days=120))
        campaign.action_preview()
        self.assertIn(past_due, campaign.term_ids, "refreshed today: the stored status is today's")
        campaign.action_reset()
        Param.set_param(REFRESHED_ON, fields.Date.to_string(self.today - timedelta(days=1)))
        campaign.action_preview()
        self.assertNotIn(past_due, campaign.term_ids)
        self.assertEqual(past_due.state, "past_due")
        self.assertEqual(Param.get_param(REFRESHED_ON), fields.Date.to_string(self.today))
