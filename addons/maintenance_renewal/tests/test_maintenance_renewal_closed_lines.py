"""Lines FlexNet made inactive or obsolete, or no longer has, are neither quoted nor chased:
their term is closed, out of campaigns and overdue figures, until FlexNet deploys them again."""

from datetime import timedelta

from odoo.tests import tagged

from .common import RenewalCase


@tagged("post_install", "-at_install")
class TestTermsOfClosedLines(RenewalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.reconcile_full_runs = True  # lines FlexNet no longer has are REMOVED

    def _campaign_terms(self):
        campaign = self.env["maintenance.renewal.campaign"].create(
            {
                "name": "Everything due",
                "expiring_from": self.today - timedelta(days=400),
                "expiring_to": self.today + timedelta(days=400),
                "include_past_due": True,
                "past_due_max_days": 400,
            }
        )
        return self.Term.search(campaign._target_domain())

    def test_inactive_obsolete_and_removed_lines_have_no_open_term(self):
        nw, ini = self.accounts["NW-0042"], self.accounts["INI-220"]
        self.assertEqual((nw.renewal_overdue_amount, ini.renewal_overdue_amount), (500.0, 1000.0))
        targeted = self._campaign_terms()
        for activation in ("ENT-INI-4001-L1", "ENT-NW-2002-L1", "ENT-ACME-1002-L1"):
            self.assertIn(self.term(activation), targeted)
        client = self.client()
        client.set_entitlement_state("ENT-INI-4001", "OBSOLETE")
        client.set_entitlement_state("ENT-ACME-1002", "INACTIVE")
        self.sim_delete("entitlements", ["ENT-NW-2002"])
        run = self.backend.sync_all(kinds=("lines",))
        self.assertEqual((run.state, run.removed_count), ("done", 3), run.reconcile_log)
        for activation in ("ENT-INI-4001-L1", "ENT-NW-2002-L1", "ENT-ACME-1002-L1"):
            term = self.term(activation)
            self.assertEqual(
                (term.state, term.days_past_due, term.age_bucket, term.renewal_rate),
                ("closed", 0, "not_due", False),
                activation,
            )
            self.assertNotIn(term, self._campaign_terms())
        self.assertEqual((nw.renewal_overdue_amount, nw.renewal_days_past_due), (0.0, 0))
        self.assertEqual((ini.renewal_overdue_amount, ini.renewal_days_past_due), (0.0, 0))
        # a renewal quoted by hand finds no open term to renew
        order = self.env["sale.order"].create(
            {
                "partner_id": ini.id,
                "order_line": [(0, 0, {"product_id": self.products["DVS-MNT-1Y"].id, "product_uom_qty": 1})],
            }
        )
        order.order_line.flexnet_parent_line_id = self.term("ENT-INI-4001-L1").line_id
        self.assertFalse(order.order_line.renewal_term_id)
        # FlexNet deploys the inactive entitlement again: its term is open again
        client.set_entitlement_state("ENT-ACME-1002", "DEPLOYED")
        self.backend.sync_all(kinds=("lines",))
        self.assertEqual(self.term("ENT-ACME-1002-L1").state, "expiring")
        self.assertIn(self.term("ENT-ACME-1002-L1"), self._campaign_terms())
