from datetime import timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RenewalCase


@tagged("post_install", "-at_install")
class TestMaintenanceTerms(RenewalCase):
    def test_installed_base_follows_the_entitlements(self):
        terms = self.Term.search([("backend_id", "=", self.backend.id)])
        lines = self.env["flexnet.entitlement.line"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("line_type", "=", "entitlement"),
                ("maintenance_end", "!=", False),
            ]
        )
        self.assertEqual(len(terms), self.demo_maintenance_count())
        self.assertEqual(terms.line_id, lines)
        acme = self.term("ENT-ACME-1001-L1")
        self.assertEqual(acme.account_id, self.accounts["ACME-001"])
        self.assertEqual(acme.product_id, self.products["CADS-PRO-LIC"])
        self.assertEqual(acme.maintenance_product_id, self.products["CADS-MNT-1Y"])
        self.assertEqual(acme.seats, 10)
        self.assertEqual(acme.date_end, self.demo_end("ENT-ACME-1001"))
        self.assertEqual(acme.date_start, self.demo_end("ENT-ACME-1001") - timedelta(days=365))
        self.assertEqual(acme.amount, 10 * 100.0)
        self.assertEqual(acme.amount_company, 10 * 100.0)
        self.assertEqual(acme.user_id, self.salesman)
        self.assertEqual(self.term("ENT-INI-4001-L1").amount, 2 * 500.0)

    def test_status_today(self):
        expected = {
            "ENT-ACME-1001-L1": ("active", 0),  # +200 days
            "ENT-ACME-1002-L1": ("expiring", 0),  # +25
            "ENT-NW-2001-L1": ("expiring", 0),  # +45
            "ENT-NW-2002-L1": ("grace", 20),  # -20, grace is 30 days
            "ENT-GLX-3001-L1": ("active", 0),  # +300
            "ENT-INI-4001-L1": ("past_due", 75),  # -75
            "ENT-UMB-5001-L1": ("expiring", 0),  # +10
        }
        for activation, (state, days) in expected.items():
            term = self.term(activation)
            self.assertEqual((term.state, term.days_past_due), (state, days), activation)
        self.assertEqual(self.term("ENT-INI-4001-L1").age_bucket, "61_90")
        self.assertEqual(self.term("ENT-NW-2002-L1").age_bucket, "0_30")
        self.assertEqual(self.term("ENT-ACME-1001-L1").age_bucket, "not_due")

    def test_status_across_dates(self):
        term = self.term("ENT-NW-2002-L1")
        end = term.date_end
        company = self.env.company
        company.write({"maintenance_grace_days": 30, "renewal_lapse_days": 365})
        cases = [
            (end - timedelta(days=61), "active", 0),
            (end - timedelta(days=60), "expiring", 0),
            (end, "expiring", 0),
            (end + timedelta(days=1), "grace", 1),
            (end + timedelta(days=30), "grace", 30),
            (end + timedelta(days=31), "past_due", 31),
            (end + timedelta(days=365), "past_due", 365),
            (end + timedelta(days=366), "lapsed", 366),
        ]
        for day, state, days in cases:
            with freeze_time(day):
                self.Term._refresh()
                self.assertEqual((term.state, term.days_past_due), (state, days), str(day))
                self.assertEqual(term.renewal_rate, 0.0 if state == "lapsed" else False)
        company.maintenance_grace_days = 0
        with freeze_time(end + timedelta(days=1)):
            self.Term._refresh()
            self.assertEqual(term.state, "past_due")

    def test_settings_refuse_a_grace_longer_than_the_lapse(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.env.company.write({"maintenance_grace_days": 400, "renewal_lapse_days": 365})
            self.env.flush_all()

    def test_renewed_when_flexnet_moves_the_end(self):
        term = self.term("ENT-NW-2002-L1")
        old_end = term.date_end
        line = term.line_id
        line.maintenance_end = old_end + timedelta(days=365)
        self.Term._refresh(line_ids=line.ids)
        self.assertEqual(term.state, "renewed")
        self.assertEqual(term.renewal_rate, 1.0)
        self.assertEqual(term.renewal_date, self.today)
        new = self.term("ENT-NW-2002-L1")
        self.assertNotEqual(new, term)
        self.assertEqual(new.date_end, old_end + timedelta(days=365))
        self.assertEqual(new.state, "active")
        self.assertEqual(new.amount, 500.0)
        # a correction that moves the end back drops the term that no longer exists
        line.maintenance_end = old_end
        self.Term._refresh(line_ids=line.ids)
        self.assertFalse(new.exists())

    def test_a_corrected_term_leaves_its_quotation_and_campaign(self):
        term = self.term("ENT-NW-2002-L1")
        line = term.line_id
        campaign = self.env["maintenance.renewal.campaign"].create(
            {"name": "Past due", "include_past_due": True, "past_due_max_days": 30}
        )
        campaign.action_preview()
        self.assertIn(term, campaign.term_ids)
        order = self.env["sale.order"].create(
            {
                "partner_id": self.accounts["NW-0042"].id,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.products["DVS-MNT-1Y"].id,
                            "renewal_term_id": term.id,
                            "flexnet_parent_line_id": line.id,
                        },
                    )
                ],
            }
        )
        self.assertEqual(order.order_line.renewal_term_id, term)
        # FlexNet corrects the end: the term is gone, the quotation and campaign stay without it
        line.maintenance_end = term.date_end - timedelta(days=10)
        self.Term._refresh(line_ids=line.ids)
        self.assertFalse(term.exists())
        self.assertTrue(order.order_line)
        self.assertFalse(order.order_line.renewal_term_id)
        self.assertNotIn(term.id, campaign.term_ids.ids)
        self.assertEqual(self.term("ENT-NW-2002-L1").date_end, line.maintenance_end)

    def test_a_license_sold_with_maintenance_has_its_term_once_in_flexnet(self):
        nw = self.accounts["NW-0042"]
        order = self.env["sale.order"].create(
            {
                "partner_id": nw.id,
                "order_line": [
                    (0, 0, {"product_id": self.products[code].id, "product_uom_qty": 2})
                    for code in ("SIMF-LIC", "SIMF-MNT-1Y")
                ],
            }
        )
        order.action_confirm()  # pushed at once in these tests (no job queue)
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        line = order.flexnet_entitlement_id.line_ids
        self.assertEqual(len(line), 1)
        term = self.Term.search([("line_id", "=", line.id)])
        self.assertEqual(term.date_end, line.maintenance_end)
        self.assertEqual((term.account_id, term.state, term.seats), (nw, "active", 2))
        self.assertEqual(term.amount, 2 * 200.0)

    def test_price_follows_the_accounts_pricelist(self):
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Partners -20%",
                "item_ids": [
                    (0, 0, {"compute_price": "percentage", "percent_price": 20, "applied_on": "3_global"})
                ],
            }
        )
        acme = self.accounts["ACME-001"]
        acme.property_product_pricelist = pricelist
        self.Term._refresh(reprice=True)
        self.assertAlmostEqual(self.term("ENT-ACME-1001-L1").amount, 10 * 80.0)
        self.assertAlmostEqual(self.term("ENT-NW-2001-L1").amount, 4 * 100.0)

    def test_partner_overdue_figures(self):
        nw, ini, acme = self.accounts["NW-0042"], self.accounts["INI-220"], self.accounts["ACME-001"]
        self.assertEqual(nw.renewal_overdue_amount, 500.0)
        self.assertEqual(nw.renewal_days_past_due, 20)
        self.assertEqual(ini.renewal_overdue_amount, 1000.0)
        self.assertEqual(ini.renewal_days_past_due, 75)
        self.assertEqual(acme.renewal_overdue_amount, 0.0)
        self.assertEqual(acme.renewal_days_past_due, 0)

    def test_sync_refreshes_the_installed_base(self):
        self.accounts["GLX-017"].renewal_term_ids.unlink()
        self.backend.sync_all()
        self.assertTrue(self.term("ENT-GLX-3001-L1"))

    def test_overdue_figures_follow_deleted_entitlements_and_lines(self):
        nw, ini = self.accounts["NW-0042"], self.accounts["INI-220"]
        self.assertEqual((nw.renewal_overdue_amount, ini.renewal_overdue_amount), (500.0, 1000.0))
        overdue_nw = nw.renewal_term_ids.filtered(lambda t: t.state in ("grace", "past_due"))
        overdue_nw.line_id.entitlement_id.unlink()
        self.assertEqual((nw.renewal_overdue_amount, nw.renewal_days_past_due), (0.0, 0))
        overdue_ini = ini.renewal_term_ids.filtered(lambda t: t.state in ("grace", "past_due"))
        overdue_ini.line_id.unlink()
        self.assertEqual((ini.renewal_overdue_amount, ini.renewal_days_past_due), (0.0, 0))

    def test_a_merge_of_accounts_moves_their_terms_and_figures(self):
        nw, ini = self.accounts["NW-0042"], self.accounts["INI-220"]
        ini_terms = ini.renewal_term_ids
        wizard = self.env["base.partner.merge.automatic.wizard"].create({})
        wizard._merge((ini | nw).ids, nw, extra_checks=False)
        self.assertFalse(ini.exists())
        self.assertLessEqual(ini_terms.account_id, nw)
        self.assertEqual(nw.renewal_overdue_amount, 1500.0)
        self.assertEqual(nw.renewal_days_past_due, 75)
        self.assertEqual(ini_terms.filtered(lambda t: t.line_id).user_id, nw.user_id)
