"""A shop on the FlexNet demo simulator: synced catalog with prices, entitled customers."""

from odoo.tests import HttpCase, new_test_user

from odoo.addons.flexnet_sync.tests.common import FlexnetSimulatorMixin

PRICES = {
    "CADS-PRO-LIC": 2000.0,
    "CADS-SEAT": 400.0,
    "CADS-RENDER": 600.0,
    "CADS-MNT-1Y": 350.0,
    "CADS-MEDIA-DVD": 25.0,
    "SIMF-LIC": 1500.0,
    "SIMF-CFD": 900.0,
    "SIMF-MEDIA-USB": 0.0,
    "DVS-LIC": 1000.0,
    "DVS-HA": 700.0,
    "DVS-MEDIA-DVD": 0.0,
}


class FlexnetStoreMixin(FlexnetSimulatorMixin):
    """Simulator synced into Odoo; members of Northwind (entitled to CAD Studio and
    DataVault), Globex (SimFlow), a reseller, all with portal users.

    Mix into a TransactionCase (rules tested on the models) or an HttpCase (``FlexnetStoreCase``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._start_flexnet_simulator()
        cls.backend.sync_all()
        cls.website = cls.env["website"].get_current_website()
        cls.env["website"].search([]).flexnet_gating = True
        cls.env["product.pricelist"].create({"name": "Public prices", "sequence": 1})
        products = cls.env["product.product"].search([("flexnet_backend_id", "=", cls.backend.id)])
        cls.products = {p.default_code: p for p in products}
        for code, price in PRICES.items():
            cls.products[code].product_tmpl_id.write({"list_price": price, "is_published": True})
        Partner = cls.env["res.partner"]
        cls.northwind = Partner.search([("flexnet_account_id", "=", "NW-0042")])
        cls.globex = Partner.search([("flexnet_account_id", "=", "GLX-017")])
        cls.summit = Partner.search([("flexnet_account_id", "=", "SSP-900")])
        cls.nw_user = cls._portal_user("nw_member", "dev.patel@northwind.example.com")
        cls.glx_user = cls._portal_user("glx_member", "grace@globex.example.com")

    def _media_link(self, **overrides):
        """A signed "purchase media kit" link as FlexNet's download page builds it: by default
        for Dev Patel of Northwind and the CAD Studio DVD."""
        values = {
            "account": "NW-0042",
            "email": "dev.patel@northwind.example.com",
            "name": "Dev Patel",
            "part": "CADS-MEDIA-DVD",
        }
        values.update(overrides)
        return self.backend._media_link_url(**values)

    @classmethod
    def _portal_user(cls, login, member_email):
        member = cls.env["res.partner"].search([("flexnet_user_name", "=", member_email)])
        user = new_test_user(cls.env, login, groups="base.group_portal", partner_id=member.id)
        return user


class FlexnetStoreCase(FlexnetStoreMixin, HttpCase):
    """The shop over HTTP (pages, links, tours)."""

    def _anonymous(self):
        """A fresh public session."""
        self.authenticate(None, None)

    def _confirm_sign_in(self, response, **kwargs):
        """Press "Continue" on the sign-in confirmation a link led to (POST with its CSRF token)."""
        self.assertIn("o_flexnet_sign_in_confirm", response.text)
        token = response.text.split('name="csrf_token" value="')[1].split('"')[0]
        pending = response.text.split('name="pending_id" value="')[1].split('"')[0]
        return self.url_open(
            "/flexnet/sign-in/confirm", data={"csrf_token": token, "pending_id": pending}, **kwargs
        )
