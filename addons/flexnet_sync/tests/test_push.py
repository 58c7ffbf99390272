import time

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.queue_job.exception import RetryableJobError

from .. import flexnet_client as fc
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
        ref = order.flexnet_entitlement_ref
        self.assertEqual(ref, f"ODOO-{order.company_id.id}-{order.name}".replace("/", "-"))
        found = self.client().get_entitlement(ref)
        self.assertEqual(found.sold_to, "NW-0042")
        # deployed at once (autoDeploy): usable by the customer, not a draft
        self.assertEqual(found.state, "DEPLOYED")
        self.assertEqual(
            {li.state for li in found.line_items} | {m.state for m in found.maintenance_line_items},
            {"DEPLOYED"},
        )
        self.assertEqual(
            sorted((li.part_number, li.number_of_copies) for li in found.line_items),
            [("CADS-RENDER", 3), ("SIMF-LIC", 2)],
        )
        [maintenance] = found.maintenance_line_items
        license_line = order.order_line.filtered(lambda sol: sol.product_id.default_code == "SIMF-LIC")
        self.assertEqual(maintenance.parent_activation_id, license_line.flexnet_activation_id)
        self.assertEqual(license_line.flexnet_activation_id, f"{ref}-{license_line.id}")
        self.assertEqual(license_line.flexnet_entitlement_line_id.seats, 2)
        self.assertEqual(license_line.flexnet_entitlement_line_id.state, "DEPLOYED")
        self.assertEqual(order.flexnet_entitlement_id.name, ref)
        self.assertEqual(order.flexnet_entitlement_id.state, "DEPLOYED")
        self.assertEqual(order.flexnet_entitlement_id.sale_order_id, order)
        [mail] = self.sim_outbox(ref)
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
        # the job's transaction is gone with its error: the entitlement ID is the same again
        self.assertFalse(order.flexnet_entitlement_ref)
        ref = order._flexnet_entitlement_ref(self.backend)
        for _attempt in range(50):
            if self.client().get_entitlement(ref):
                break
            time.sleep(0.1)
        self.backend.timeout = 5
        order._flexnet_push_entitlement()  # the retry adopts what FlexNet has
        self.assertEqual(order.flexnet_state, "done")
        self.assertEqual(self.sim_stats()["calls"]["createSimpleEntitlement"], creates + 1)
        found = self.client().get_entitlement(ref)
        self.assertEqual(len(found.line_items), 1)
        self.assertEqual(len(self.sim_outbox(ref)), 1)
        order._flexnet_push_entitlement()  # and a third run changes nothing
        self.assertEqual(self.sim_stats()["calls"]["createSimpleEntitlement"], creates + 1)
        self.assertEqual(len(self.sim_outbox(ref)), 1)
        self.assertEqual(len(order.flexnet_entitlement_id.line_ids), 1)

    def test_maintenance_renewal_of_an_earlier_entitlement_moves_its_end(self):
        line = self.env["flexnet.entitlement.line"].search([("activation_id", "=", "ENT-NW-2002-L1")])
        old_end = line.maintenance_end
        entitlements = self.sim_stats()["counts"]["entitlements"]
        order = self._order(self.northwind, [("DVS-MNT-1Y", 1)])
        order.order_line.flexnet_parent_line_id = line
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        # added to the entitlement of the line it renews, under that line: no new entitlement
        self.assertEqual(self.sim_stats()["counts"]["entitlements"], entitlements)
        self.assertIsNone(self.client().get_entitlement(order.flexnet_entitlement_ref))
        self.assertEqual(order.flexnet_entitlement_id.name, "ENT-NW-2002")
        activation = order.order_line.flexnet_activation_id
        [maintenance] = [
            m
            for m in self.client().get_entitlement("ENT-NW-2002").maintenance_line_items
            if m.activation_id == activation
        ]
        self.assertEqual(maintenance.parent_activation_id, "ENT-NW-2002-L1")
        self.assertEqual(maintenance.state, "DEPLOYED")
        self.assertEqual(len(self.sim_outbox("ENT-NW-2002")), 1)
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
        self.assertIsNone(self.client().get_entitlement(order.flexnet_entitlement_ref))

    def test_orders_without_licenses_are_not_pushed(self):
        media = self._order(self.northwind, [("CADS-MEDIA-DVD", 1)])
        entitlements = self.sim_stats()["counts"]["entitlements"]
        media.action_confirm()
        self.assertEqual(media.flexnet_state, "none")
        self.assertFalse(media.flexnet_entitlement_ref)
        self.assertEqual(self.sim_stats()["counts"]["entitlements"], entitlements)

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
        # FlexNet welcomes the user the sale created, once, at the buyer's address
        welcomes = self.sim_outbox(kind="welcome", user_name="nadia@brandnew.example.com")
        self.assertEqual(len(welcomes), 1, welcomes)
        [welcome] = welcomes
        self.assertEqual(welcome["recipients"], ["nadia@brandnew.example.com"])
        self.assertIn("Brand New Ltd", welcome["body"])
        # a second sale to the same customer creates no user and sends no second welcome
        again = self._order(buyer, [("SIMF-LIC", 1)])
        again.action_confirm()
        self.assertEqual(again.flexnet_state, "done", again.flexnet_error)
        self.assertEqual(len(self.sim_outbox(kind="welcome", user_name="nadia@brandnew.example.com")), 1)

    def test_a_company_buying_as_itself_is_no_member_of_its_own_account(self):
        company = self.env["res.partner"].create(
            {"name": "Solo Works", "is_company": True, "email": "office@soloworks.example.com"}
        )
        order = self._order(company, [("CADS-PRO-LIC", 1)])
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        [user] = self.client().iter_users(email="office@soloworks.example.com")
        self.assertEqual(user.accounts[0].account_id, company.flexnet_account_id)
        self.assertFalse(company.flexnet_user_name)
        # the synchronisation makes the FlexNet user a member contact under the account
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual(run.state, "done", run.error_log)
        member = self.env["res.partner"].search([("flexnet_user_name", "=", "office@soloworks.example.com")])
        self.assertEqual((member.parent_id, member.is_company), (company, False))
        self.assertNotEqual(member, company)
        self.assertEqual(company.flexnet_member_ids, member)
        self.assertFalse(company.parent_id)

    def test_an_account_bound_as_a_member_gives_the_user_up(self):
        """What an earlier version did for a company buying as itself: its own partner bound to
        its FlexNet user. The synchronisation gives the user a contact of its own."""
        globex = self.env["res.partner"].search([("flexnet_account_id", "=", "GLX-017")])
        grace = self.env["res.partner"].search([("flexnet_user_name", "=", "grace@globex.example.com")])
        grace.flexnet_user_name = False
        grace.unlink()
        globex.write({"flexnet_user_name": "grace@globex.example.com", "flexnet_can_login": True})
        run = self.backend.sync_all(kinds=("users",))
        self.assertEqual(run.state, "done", run.error_log)
        member = self.env["res.partner"].search([("flexnet_user_name", "=", "grace@globex.example.com")])
        self.assertEqual((member.parent_id, member.is_company), (globex, False))
        self.assertEqual((globex.flexnet_user_name, globex.flexnet_can_login), (False, False))
        self.assertFalse(globex.parent_id)

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
        self.assertEqual(self.client().get_entitlement(order.flexnet_entitlement_ref).sold_to, "ACME-001")

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

    def test_entitlement_ids_take_the_prefix_and_only_characters_flexnet_accepts(self):
        with self.assertRaisesRegex(UserError, "FlexNet refuses them in IDs"):
            self.backend.entitlement_id_prefix = "EU.SHOP/"
        self.backend.entitlement_id_prefix = "EU-SHOP-"
        order = self._order(self.northwind, [("CADS-RENDER", 1), ("SIMF-CFD", 2)])
        order.name = "SO/2026/0001 (web)"
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        self.assertEqual(order.flexnet_entitlement_ref, "EU-SHOP-SO-2026-0001-web-")
        found = self.client().get_entitlement("EU-SHOP-SO-2026-0001-web-")
        self.assertEqual(
            sorted(li.activation_id for li in found.line_items),
            sorted(f"EU-SHOP-SO-2026-0001-web--{line.id}" for line in order.order_line),
        )
        self.assertEqual(order.flexnet_entitlement_id.name, "EU-SHOP-SO-2026-0001-web-")
        # a long reference keeps its start and ends with a digest: the same every time
        self.assertEqual(fc.safe_id("x" * 300), fc.safe_id("x" * 300))
        self.assertEqual(len(fc.safe_id("x" * 300)), 255)
        self.assertNotEqual(fc.safe_id("x" * 300), fc.safe_id("x" * 299 + "y"))

    def test_backends_of_one_site_push_under_their_own_prefix(self):
        other_company = self.env["res.company"].create({"name": "Northwind EU"})
        other = self.env["flexnet.backend"].create(
            {
                "name": "EU",
                "url": self.sim_url,
                "username": "admin",
                "password": "admin",
                "company_id": other_company.id,
            }
        )
        self.assertEqual(other.entitlement_id_prefix, f"ODOO-{other_company.id}-")
        self.assertNotEqual(other.entitlement_id_prefix, self.backend.entitlement_id_prefix)
        with self.assertRaisesRegex(UserError, "already pushes entitlements to this FlexNet site"):
            other.entitlement_id_prefix = self.backend.entitlement_id_prefix
        # a copy of a backend of the same company gets a prefix of its own
        copy = self.backend.copy({"name": "Simulator (copy)"})
        self.assertEqual(copy.entitlement_id_prefix, f"{self.backend.entitlement_id_prefix}2-")

    def test_an_entitlement_of_that_id_that_is_not_the_orders_is_never_adopted(self):
        order = self._order(self.northwind, [("DVS-HA", 1)])
        ref = order._flexnet_entitlement_ref(self.backend)
        # FlexNet already has an entitlement of that ID: another account's
        self.client().create_simple_entitlements(
            [
                fc.NewEntitlement(
                    sold_to="ACME-001",
                    entitlement_id=ref,
                    line_items=[fc.NewLineItem("DVS-LIC", 1, activation_id=f"{ref}-ACME", is_permanent=True)],
                )
            ]
        )
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "failed")
        self.assertIn(f"FlexNet already has an entitlement {ref}, of account ACME-001", order.flexnet_error)
        activity = order.activity_ids.filtered(lambda a: a.user_id == self.salesman)
        self.assertIn("ACME-001", activity.note)
        found = self.client().get_entitlement(ref)
        self.assertEqual(
            (found.sold_to, [li.activation_id for li in found.line_items]), ("ACME-001", [f"{ref}-ACME"])
        )
        self.assertFalse(self.env["flexnet.entitlement"].search([("name", "=", ref)]).sale_order_id)
        # the same account, but items the order did not send: not the order's either
        second = self._order(self.northwind, [("DVS-HA", 1)])
        ref = second._flexnet_entitlement_ref(self.backend)
        self.client().create_simple_entitlements(
            [
                fc.NewEntitlement(
                    sold_to="NW-0042",
                    entitlement_id=ref,
                    line_items=[
                        fc.NewLineItem("DVS-LIC", 1, activation_id=f"{ref}-OTHER", is_permanent=True)
                    ],
                )
            ]
        )
        second.action_confirm()
        self.assertEqual(second.flexnet_state, "failed")
        self.assertIn(f"items this order did not send ({ref}-OTHER)", second.flexnet_error)
        self.assertEqual(len(self.client().get_entitlement(ref).line_items), 1)

    def test_extra_seats_for_a_line_join_its_entitlement(self):
        line = self.env["flexnet.entitlement.line"].search([("activation_id", "=", "ENT-NW-2001-L1")])
        entitled = self.env["flexnet.entitled.product"]
        seats_before = entitled.search(
            [("partner_id", "=", self.northwind.id), ("product_id.default_code", "=", "CADS-SEAT")]
        ).seats
        entitlements = self.sim_stats()["counts"]["entitlements"]
        order = self._order(self.northwind, [("CADS-SEAT", 3), ("CADS-RENDER", 1)])
        order.order_line.filtered(
            lambda sol: sol.product_id.default_code == "CADS-SEAT"
        ).flexnet_parent_line_id = line
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        # the add-on makes the order's own entitlement, the seats join the license's
        self.assertEqual(self.sim_stats()["counts"]["entitlements"], entitlements + 1)
        own = self.client().get_entitlement(order.flexnet_entitlement_ref)
        self.assertEqual([li.part_number for li in own.line_items], ["CADS-RENDER"])
        seat_line = order.order_line.filtered(lambda sol: sol.product_id.default_code == "CADS-SEAT")
        nw2001 = self.client().get_entitlement("ENT-NW-2001")
        [added] = [li for li in nw2001.line_items if li.activation_id == seat_line.flexnet_activation_id]
        self.assertEqual(
            (added.part_number, added.number_of_copies, added.state), ("CADS-SEAT", 3, "DEPLOYED")
        )
        self.assertEqual(seat_line.flexnet_entitlement_line_id.entitlement_id.name, "ENT-NW-2001")
        self.assertEqual(
            entitled.search(
                [("partner_id", "=", self.northwind.id), ("product_id.default_code", "=", "CADS-SEAT")]
            ).seats,
            seats_before + 3,
        )
        # sent again: nothing more in FlexNet
        order._flexnet_push_entitlement()
        self.assertEqual(len(self.client().get_entitlement("ENT-NW-2001").line_items), len(nw2001.line_items))
        self.assertEqual(self.sim_stats()["counts"]["entitlements"], entitlements + 1)

    def test_a_renewal_of_a_line_flexnet_moved_to_another_account_is_refused(self):
        line = self.env["flexnet.entitlement.line"].search([("activation_id", "=", "ENT-NW-2002-L1")])
        self.sim_update("entitlements", ["ENT-NW-2002"], {"sold_to": "ACME-001"})
        self.addCleanup(self.sim_update, "entitlements", ["ENT-NW-2002"], {"sold_to": "NW-0042"})
        items = len(self.client().get_entitlement("ENT-NW-2002").maintenance_line_items)
        order = self._order(self.northwind, [("DVS-MNT-1Y", 1)])
        order.order_line.flexnet_parent_line_id = line
        order.action_confirm()
        self.assertEqual(order.flexnet_state, "failed")
        self.assertIn("ENT-NW-2002 that", order.flexnet_error)
        self.assertIn("belongs to account ACME-001 in FlexNet, not to NW-0042", order.flexnet_error)
        self.assertEqual(len(self.client().get_entitlement("ENT-NW-2002").maintenance_line_items), items)
