"""What an account may buy is read for the transaction and for the company of the shop."""

from datetime import date, timedelta

from odoo.fields import Domain
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestGatingRules(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Other vendor company"})
        cls.backend_a = cls._backend("FlexNet A", cls.company_a)
        cls.backend_b = cls._backend("FlexNet B", cls.company_b)
        # one customer known to both companies' FlexNet sites (a partner without company)
        cls.account = cls.env["res.partner"].create(
            {
                "name": "Shared customer",
                "is_company": True,
                "flexnet_backend_id": cls.backend_a.id,
                "flexnet_account_id": "SHARED-1",
            }
        )
        cls.license_b = cls._product("Atlas", "license", "open", cls.company_b, cls.backend_b)
        cls.addon_a = cls._product("Atlas", "addon", "title", cls.company_a, cls.backend_a)
        cls.addon_b = cls._product("Atlas", "addon", "title", cls.company_b, cls.backend_b)

    @classmethod
    def _backend(cls, name, company):
        return cls.env["flexnet.backend"].create(
            {
                "name": name,
                "url": "http://127.0.0.1:9",
                "username": "x",
                "password": "x",
                "company_id": company.id,
            }
        )

    @classmethod
    def _product(cls, title, kind, gating, company, backend):
        return cls.env["product.template"].create(
            {
                "name": f"{title} {kind} ({company.name})",
                "default_code": f"RULES-{title}-{kind}-{company.id}".upper(),
                "type": "service",
                "company_id": company.id,
                "flexnet_backend_id": backend.id,
                "flexnet_kind": kind,
                "flexnet_title": title,
                "flexnet_product_name": title if kind == "license" else f"{title} {kind}",
                "flexnet_gating": gating,
            }
        )

    def _entitle(self, backend, product, state="DEPLOYED", activation="RULES-ACT-1"):
        """A line synced from ``backend``'s FlexNet, entitling the shared account."""
        entitlement = self.env["flexnet.entitlement"].create(
            {"backend_id": backend.id, "name": f"ENT-{activation}", "partner_id": self.account.id}
        )
        return self.env["flexnet.entitlement.line"].create(
            {
                "backend_id": backend.id,
                "entitlement_id": entitlement.id,
                "activation_id": activation,
                "partner_id": self.account.id,
                "product_id": product.product_variant_id.id,
                "line_type": "entitlement",
                "seats": 1,
                "state": state,
                "expiration_date": date.today() + timedelta(days=30),
            }
        )

    def _may_buy(self, template, company=None):
        Template = self.env["product.template"].with_company(company or self.company_a)
        domain = Template._flexnet_gating_domain(self.account)
        return bool(Template.search(domain & Domain("id", "=", template.id)))

    def test_the_gating_read_in_a_rolled_back_savepoint_is_forgotten(self):
        line = self._entitle(self.backend_a, self._license_a())
        self.assertTrue(self._may_buy(self.addon_a))
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            line.state = "INACTIVE"
            self.assertFalse(self._may_buy(self.addon_a))  # read, and kept, inside the savepoint
            raise RuntimeError("rolled back")
        # the line is DEPLOYED again: what was read inside the savepoint no longer holds
        self.env.invalidate_all()
        self.assertEqual(line.state, "DEPLOYED")
        self.assertTrue(self._may_buy(self.addon_a))

    def test_entitlements_of_another_company_open_nothing_here(self):
        self._entitle(self.backend_b, self.license_b)
        self.assertFalse(
            self._may_buy(self.addon_a), "an Atlas license in company B opens Atlas add-ons in A"
        )
        # in company B's shop the same line counts
        self.assertTrue(self._may_buy(self.addon_b, self.company_b))

    def test_entitled_products_are_read_by_their_companies_only(self):
        self._entitle(self.backend_b, self.license_b, activation="RULES-ACT-B")
        self._entitle(self.backend_a, self._license_a(), activation="RULES-ACT-A")
        user_a = new_test_user(
            self.env,
            "rules_flexnet_a",
            groups="flexnet_sync.group_flexnet_user",
            company_id=self.company_a.id,
            company_ids=[self.company_a.id],
        )
        rows = (
            self.env["flexnet.entitled.product"]
            .with_user(user_a)
            .search([("partner_id", "=", self.account.id)])
        )
        self.assertEqual(rows.company_id, self.company_a)
        self.assertEqual(rows.product_id.product_tmpl_id.flexnet_title, "Atlas")
        self.assertEqual(len(rows), 1)
        all_rows = self.env["flexnet.entitled.product"].search([("partner_id", "=", self.account.id)])
        self.assertEqual(all_rows.company_id, self.company_a | self.company_b)

    def _license_a(self):
        return self._product("Atlas", "license", "open", self.company_a, self.backend_a)
