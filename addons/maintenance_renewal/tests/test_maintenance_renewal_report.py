from datetime import timedelta

from odoo.tests import tagged

from .common import RenewalCase


@tagged("post_install", "-at_install")
class TestRenewalReports(RenewalCase):
    def test_figures_equal_hand_computed_values(self):
        Term = self.Term.with_user(self.manager)
        # past-due amount by age bucket: NW 20 days (DataVault, 1 seat), Initech 75 days (2 seats)
        overdue = dict(
            Term._read_group([("state", "in", ("grace", "past_due"))], ["age_bucket"], ["amount_company:sum"])
        )
        self.assertEqual(overdue, {"0_30": 500.0, "61_90": 1000.0})
        # expiring amount by month: each open term's amount lands in its end month
        by_month = Term._read_group(
            [("state", "in", ("active", "expiring"))], ["date_end:month"], ["amount_company:sum"]
        )
        hand = {}
        for term in self.Term.search([("state", "in", ("active", "expiring"))]):
            key = term.date_end.replace(day=1)
            hand[key] = (
                hand.get(key, 0.0)
                + term.seats
                * {"CADS": 100.0, "SIMF": 200.0, "DVS": 500.0}[
                    term.maintenance_product_id.default_code.split("-")[0]
                ]
            )
        self.assertEqual(
            {month.date() if hasattr(month, "date") else month: amount for month, amount in by_month}, hand
        )
        # renewal rate by product: one renewed and one lapsed DataVault term make 50 %
        nw_line = self.term("ENT-NW-2002-L1").line_id
        nw_line.maintenance_end = self.today + timedelta(days=345)
        ini = self.term("ENT-INI-4001-L1")
        self.env.company.renewal_lapse_days = 60
        self.Term._refresh()
        self.assertEqual(ini.state, "lapsed")
        rates = dict(
            Term._read_group([("state", "in", ("renewed", "lapsed"))], ["product_id"], ["renewal_rate:avg"])
        )
        self.assertEqual(rates, {self.products["DVS-LIC"]: 0.5})

    def test_dashboard(self):
        board = self.env["maintenance.renewal.dashboard"].with_user(self.manager).create({})
        self.assertEqual(board.expiring_90, 3 * 200.0 + 4 * 100.0 + 8 * 100.0)
        self.assertEqual(board.expiring_365, 1800.0 + 10 * 100.0 + 20 * 200.0 + 2 * 100.0 + 2 * 200.0)
        # past due: ended longer ago than the 30-day grace (Initech, 75 days); Northwind's
        # maintenance ended 20 days ago: in grace
        self.assertEqual(board.overdue_amount, 1000.0)
        self.assertEqual(board.grace_amount, 500.0)
        self.assertEqual(board.overdue_accounts, 1)
        self.assertEqual(board.open_quotations, 0)
        action = board.action_view_overdue()
        self.assertEqual(self.Term.search(action["domain"]), self.term("ENT-INI-4001-L1"))
        self.assertEqual(self.Term.search(board.action_view_grace()["domain"]), self.term("ENT-NW-2002-L1"))
        self.assertEqual(
            self.env["maintenance.renewal.dashboard"].with_user(self.manager).action_open()["res_model"],
            board._name,
        )
