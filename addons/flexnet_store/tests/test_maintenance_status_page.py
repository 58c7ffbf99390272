import re

from odoo.tests import tagged

from .common import FlexnetStoreCase


@tagged("post_install", "-at_install")
class TestPortalMaintenanceStatus(FlexnetStoreCase):
    """My entitlements shows the one definition of past due: after the company's maintenance
    grace, the status the renewal managers see."""

    def _status_on_page(self, line):
        page = self.url_open(f"/my/entitlements/{line.id}").text
        found = re.search(r"Maintenance: <span[^>]*>([^<]*)</span>", page)
        self.assertTrue(found, "the entitlement page shows the maintenance status")
        return found.group(1).strip()

    def _badge_in_list(self, activation_id):
        page = self.url_open("/my/entitlements").text
        row = next(r for r in page.split('class="o_flexnet_entitlement_row"')[1:] if activation_id in r)
        return re.search(r'<span class="badge ([^"]*)"[^>]*>([^<]*)</span>', row).groups()

    def test_recently_ended_maintenance_is_in_grace_then_past_due(self):
        # Northwind's DataVault Server maintenance ended 20 days ago
        line = self.env["flexnet.entitlement.line"].search([("activation_id", "=", "ENT-NW-2002-L1")])
        self.authenticate("nw_member", "nw_member")
        self.assertEqual(self.env.company.maintenance_grace_days, 30)
        self.assertEqual(self._status_on_page(line), "In grace")
        self.assertEqual(self._badge_in_list("ENT-NW-2002-L1"), ("text-bg-warning", "In grace"))
        self.env.company.maintenance_grace_days = 10
        self.env.flush_all()  # the page is served from the same transaction
        self.assertEqual(self._status_on_page(line), "Past due")
        self.assertEqual(self._badge_in_list("ENT-NW-2002-L1"), ("text-bg-danger", "Past due"))
