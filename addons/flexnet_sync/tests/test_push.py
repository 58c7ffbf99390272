import time

from odoo.tests import new_test_user, tagged

from odoo.addons.queue_job.exception import RetryableJobError

from .common import FlexnetSimulatorCase


@tagged("post_install", "-at_install")
class TestPush(FlexnetSimulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.sync_all()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        cls.salesman = new_test_user(cls.env, "fx_sales", groups="sales_team.group_sale_salesman")
        products = cls.env["product.product"].search([("flexnet_backend_id", "=", cls.backend.id)])
        cls.products = {p.default_code: p for p in products}
        cls.northwind = cls.env["res.partner"].search([("flexnet_account_id", "=", "NW-0042")])

    def _order(self, partner, lines):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": self.salesman.id,
                "order_line": [
                    (0, 0, {"product_id": self.products[code].id, "product_uom_qty": qty})
                    for code, qty in lines
                ],
            }
        )

    def test_confirming_pushes_the_entitlement(self):
        order = self._order(self.northwind, [("SIMF-LIC", 2), ("SIMF-MNT-1Y", 1), ("CADS-RENDER", 3)])
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        found = self.client().get_entitlement(order.name)
        self.assertEqual(found.sold_to, "NW-0042")
        self.assertEqual(
            sorted((li.part_number, li.number_of_copies) for li in found.line_items),
            [("CADS-RENDER", 3), ("SIMF-LIC", 2)],
        )
        [maintenance] = found.maintenance_line_items
        license_line = order.order_line.filtered(lambda sol: sol.product_id.default_code == "SIMF-LIC")
        self.assertEqual(maintenance.parent_activation_id, license_line.flexnet_activation_id)
        self.assertEqual(license_line.flexnet_activation_id, f"{order.name}-{license_line.id}")
        self.assertEqual(license_line.flexnet_entitlement_line_id.seats, 2)
        self.assertEqual(order.flexnet_entitlement_id.name, order.name)
        self.assertEqual(order.flexnet_entitlement_id.sale_order_id, order)
        [mail] = self.sim_outbox(order.name)
        self.assertIn("carla@northwind.example.com", mail["recipients"])
        entitled = self.env["flexnet.entitled.product"].search([("partner_id", "=", self.northwind.id)])
        self.assertIn("SIMF-LIC", entitled.product_id.mapped("default_code"))
        self.assertTrue(license_line.flexnet_entitlement_line_id.maintenance_end)

    def test_push_is_idempotent_when_the_job_dies_after_flexnet_accepted(self):
        order = self._order(self.northwind, [("DVS-HA", 1)])
        order.with_context(queue_job__no_delay=False).action_confirm()  # job enqueued, not run
        creates = self.sim_stats()["calls"].get("createSimpleEntitlement", 0)
        self.backend.timeout = 1  # Odoo's test mode raises it to 10 s
        self.sim_arm("createSimpleEntitlement", "delay", delay=11)
        with self.assertRaises(RetryableJobError):
            order._flexnet_push_entitlement()  # FlexNet acts after the client gave up
        for _attempt in range(50):
            if self.client().get_entitlement(order.name):
                break
            time.sleep(0.1)
        self.backend.timeout = 5
        order._flexnet_push_entitlement()  # the retry adopts what FlexNet has
        self.assertEqual(order.flexnet_state, "done")
        self.assertEqual(self.sim_stats()["calls"]["createSimpleEntitlement"], creates + 1)
        found = self.client().get_entitlement(order.name)
        self.assertEqual(len(found.line_items), 1)
        self.assertEqual(len(self.sim_outbox(order.name)), 1)
        order._flexnet_push_entitlement()  # and a third run changes nothing
        self.assertEqual(self.sim_stats()["calls"]["createSimpleEntitlement"], creates + 1)
        self.assertEqual(len(self.sim_outbox(order.name)), 1)
        self.assertEqual(len(order.flexnet_entitlement_id.line_ids), 1)

    def test_maintenance_renewal_of_an_earlier_entitlement_moves_its_end(self):
        line = self.env["flexnet.entitlement.line"].search([("activation_id", "=", "ENT-NW-2002-L1")])
        old_end = line.maintenance_end
        order = self._order(self.northwind, [("DVS-MNT-1Y", 1)])
        order.order_line.flexnet_parent_line_id = line
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        [maintenance] = self.client().get_entitlement(order.name).maintenance_line_items
        self.assertEqual(maintenance.parent_activation_id, "ENT-NW-2002-L1")
        # past due: the new term starts today; the earlier line shows it without a sync
        self.assertGreater(line.maintenance_end, old_end)
        self.assertEqual(line.maintenance_end, maintenance.expiration_date)
        self.assertEqual(order.order_line.flexnet_entitlement_line_id.parent_id, line)

    def test_refusal_reaches_the_salesperson(self):
        ghost = self.env["product.product"].create(
            {
                "name": "Ghost",
                "default_code": "GHOST-1",
                "flexnet_kind": "license",
                "flexnet_backend_id": self.backend.id,
                "type": "service",
            }
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.northwind.id,
                "user_id": self.salesman.id,
                "order_line": [(0, 0, {"product_id": ghost.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "failed")
        self.assertIn("GHOST-1", order.flexnet_error)
        activity = order.activity_ids.filtered(lambda a: a.user_id == self.salesman)
        self.assertTrue(activity)
        self.assertIn("GHOST-1", activity.note)
        self.assertIsNone(self.client().get_entitlement(order.name))

    def test_orders_without_licenses_are_not_pushed(self):
        media = self._order(self.northwind, [("CADS-MEDIA-DVD", 1)])
        media.action_confirm()
        self.assertEqual(media.flexnet_state, "none")
        self.assertIsNone(self.client().get_entitlement(media.name))

    def test_new_customer_gets_an_account(self):
        company = self.env["res.partner"].create(
            {
                "name": "Brand New Ltd",
                "is_company": True,
                "country_id": self.env.ref("base.fr").id,
                "city": "Lyon",
            }
        )
        buyer = self.env["res.partner"].create(
            {"name": "Nadia Nouveau", "email": "nadia@brandnew.example.com", "parent_id": company.id}
        )
        accounts_before = self.sim_stats()["counts"]["accounts"]
        order = self._order(buyer, [("CADS-PRO-LIC", 1)])
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        self.assertEqual(company.flexnet_account_id, f"ODOO-{company.id:06d}")
        self.assertEqual(self.sim_stats()["counts"]["accounts"], accounts_before + 1)
        [user] = self.client().iter_users(email="nadia@brandnew.example.com")
        self.assertEqual(user.accounts[0].account_id, company.flexnet_account_id)
        self.assertEqual(buyer.flexnet_user_name, "nadia@brandnew.example.com")

    def test_probable_duplicate_is_listed_not_created(self):
        company = self.env["res.partner"].create({"name": "Acme Inc.", "is_company": True})
        buyer = self.env["res.partner"].create(
            {"name": "Alice Walker", "email": "Alice.Walker@acme.example.com", "parent_id": company.id}
        )
        accounts_before = self.sim_stats()["counts"]["accounts"]
        order = self._order(buyer, [("CADS-SEAT", 2)])
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "review")
        self.assertEqual(self.sim_stats()["counts"]["accounts"], accounts_before)
        match = self.env["flexnet.account.match"].search([("partner_id", "=", company.id)])
        self.assertEqual((match.account_id, match.state), ("ACME-001", "open"))
        # the linked account: no second Acme in FlexNet, and the order goes through
        acme = self.env["res.partner"].search([("flexnet_account_id", "=", "ACME-001")])
        acme.flexnet_account_id = False  # the synced Acme contact is a duplicate in Odoo; merge by linking
        match.action_link()
        self.assertEqual(company.flexnet_account_id, "ACME-001")
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        self.assertEqual(self.client().get_entitlement(order.name).sold_to, "ACME-001")

    def test_dismissed_match_allows_a_new_account(self):
        company = self.env["res.partner"].create({"name": "Other Acme", "is_company": True})
        buyer = self.env["res.partner"].create(
            {"name": "Bob Nguyen", "email": "bob.nguyen@acme.example.com", "parent_id": company.id}
        )
        order = self._order(buyer, [("CADS-SEAT", 1)])
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "review")
        self.env["flexnet.account.match"].search([("partner_id", "=", company.id)]).action_dismiss()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        self.assertTrue(company.flexnet_account_id.startswith("ODOO-"))
