from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user

from odoo.addons.flexnet_sync.tests.common import DEMO_ENTITLEMENTS, FlexnetSimulatorCase

# renewal price per seat of each maintenance SKU in these tests
PRICES = {"CADS-MNT-1Y": 100.0, "SIMF-MNT-1Y": 200.0, "DVS-MNT-1Y": 500.0}


class RenewalCase(FlexnetSimulatorCase):
    """The simulator's demo vendor, synchronised, with priced maintenance and salespeople."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True, tracking_disable=True))
        cls.backend.sync_all()
        products = cls.env["product.product"].search([("flexnet_backend_id", "=", cls.backend.id)])
        cls.products = {p.default_code: p for p in products}
        for code, price in PRICES.items():
            cls.products[code].list_price = price
        accounts = cls.env["res.partner"].search(
            [("flexnet_backend_id", "=", cls.backend.id), ("is_company", "=", True)]
        )
        cls.accounts = {a.flexnet_account_id: a for a in accounts}
        # the same data whatever else is installed: list prices, and no account address
        # (other addons' demo data give some accounts an e-mail and a pricelist)
        plain = cls.env["product.pricelist"].create({"name": "Renewal tests: list prices"})
        for account in accounts:
            account.write({"email": False, "property_product_pricelist": plain.id})
        cls.salesman = new_test_user(
            cls.env,
            "rn_sales",
            groups="sales_team.group_sale_salesman,maintenance_renewal.group_renewal_user",
        )
        cls.other_salesman = new_test_user(
            cls.env,
            "rn_sales2",
            groups="sales_team.group_sale_salesman,maintenance_renewal.group_renewal_user",
        )
        cls.manager = new_test_user(
            cls.env,
            "rn_manager",
            groups="sales_team.group_sale_manager,maintenance_renewal.group_renewal_manager",
        )
        for code in ("ACME-001", "NW-0042", "UMB-515"):
            cls.accounts[code].user_id = cls.salesman
        for code in ("GLX-017", "INI-220", "SSP-900"):
            cls.accounts[code].user_id = cls.other_salesman
        cls.Term = cls.env["maintenance.renewal.term"]
        cls.Term._refresh(reprice=True)
        cls.today = fields.Date.context_today(cls.Term)

    @classmethod
    def demo_end(cls, entitlement, number=1):
        """The maintenance end the simulator gave line ``number`` of a demo entitlement."""
        for ent_id, _account, lines in DEMO_ENTITLEMENTS:
            if ent_id == entitlement:
                return cls.today + timedelta(days=lines[number - 1][3])
        raise KeyError(entitlement)

    def term(self, activation):
        return self.Term.search([("line_id.activation_id", "=", activation)], order="date_end desc", limit=1)
