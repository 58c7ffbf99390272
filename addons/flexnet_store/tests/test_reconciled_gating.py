"""The shop follows a full synchronisation's reconciliation at once: an entitlement FlexNet no
longer has stops opening its add-ons and leaves *My entitlements*, a member FlexNet no longer
has stops signing in."""

from odoo.tests import TransactionCase, tagged

from .common import FlexnetStoreCase, FlexnetStoreMixin


@tagged("post_install", "-at_install")
class TestGatingFollowsReconciliation(FlexnetStoreMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tz="UTC"))
        cls.backend.reconcile_full_runs = True
        # the demo site is small: one entitlement is more than the 10 % a run removes by default
        cls.backend.reconcile_max_share = 0

    def test_an_entitlement_removed_from_flexnet_closes_its_addon_at_once(self):
        Template = self.env["product.template"]
        cfd = self.products["SIMF-CFD"].product_tmpl_id
        # read first: the account's gating is cached for the transaction
        self.assertIn(cfd, Template.search(Template._flexnet_gating_domain(self.globex)))
        self.assertEqual(Template.with_user(self.glx_user).search([("id", "=", cfd.id)]), cfd)
        self.sim_delete("entitlements", ["ENT-GLX-3001"])
        run = self.backend.sync_all(kinds=("lines",))
        # its two lines, the maintenance of one, the entitlement itself
        self.assertEqual((run.state, run.removed_count), ("done", 4), run.reconcile_log)
        self.assertNotIn(cfd, Template.search(Template._flexnet_gating_domain(self.globex)))
        self.assertFalse(Template.with_user(self.glx_user).search([("id", "=", cfd.id)]))
        self.assertFalse(self.products["SIMF-CFD"]._flexnet_allowed_for(self.globex))
        # Northwind's entitlements are untouched
        render = self.products["CADS-RENDER"].product_tmpl_id
        self.assertIn(render, Template.search(Template._flexnet_gating_domain(self.northwind)))

    def test_a_member_removed_from_flexnet_no_longer_signs_in(self):
        Users = self.env["res.users"]
        self.assertTrue(Users._flexnet_member("dev.patel@northwind.example.com"))
        self.sim_delete("memberships", [["dev.patel@northwind.example.com", "NW-0042"]])
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual((run.state, run.removed_count), ("done", 1), run.reconcile_log)
        self.assertFalse(Users._flexnet_member("dev.patel@northwind.example.com"))
        self.assertFalse(self.nw_user.active)


@tagged("post_install", "-at_install")
class TestMyEntitlementsFollowReconciliation(FlexnetStoreCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.reconcile_full_runs = True

    def test_lines_flexnet_no_longer_has_leave_my_entitlements(self):
        self.authenticate("glx_member", "glx_member")
        self.assertIn("ENT-GLX-3001-L2", self.url_open("/my/entitlements").text)
        line = self.env["flexnet.entitlement.line"].search([("activation_id", "=", "ENT-GLX-3001-L2")])
        self.sim_delete("line_items", ["ENT-GLX-3001-L2"])
        self.assertEqual(self.backend.sync_all(kinds=("lines",)).removed_count, 1)
        page = self.url_open("/my/entitlements").text
        self.assertNotIn("ENT-GLX-3001-L2", page)
        self.assertIn("ENT-GLX-3001-L1", page)  # the rest of the entitlement stays
        response = self.url_open(f"/my/entitlements/{line.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
