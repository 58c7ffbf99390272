"""Self-service renewal and purchase through checkout and payment (Odoo's demo provider)."""

import re
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import JsonRpcException, new_test_user, tagged
from odoo.tools.misc import format_date

from odoo.addons.mail.tests.common import MockEmail
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from .common import FlexnetStoreCase


class RenewalCase(FlexnetStoreCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tz="UTC"))
        provider = cls.env.ref("payment.payment_provider_demo")
        provider.write({"state": "test", "is_published": True})
        cls.env["payment.provider"].search([("id", "!=", provider.id)]).write({"state": "disabled"})
        cls.backend.download_center_url = "https://downloads.example.com/portal"
        country = cls.env.ref("base.uk")
        for partner in (cls.nw_user.partner_id, cls.glx_user.partner_id):
            partner.write(
                {
                    "street": "1 Harbour Side",
                    "city": "Bristol",
                    "zip": "BS1 5TY",
                    "country_id": country.id,
                    "phone": "+44 117 496 0000",
                }
            )
        Line = cls.env["flexnet.entitlement.line"]
        cls.nw_cads = Line.search(
            [("entitlement_id.name", "=", "ENT-NW-2001"), ("part_number", "=", "CADS-PRO-LIC")]
        )
        cls.acme_cads = Line.search(
            [("entitlement_id.name", "=", "ENT-ACME-1001"), ("part_number", "=", "CADS-PRO-LIC")]
        )
        cls.maintenance = cls.products["CADS-MNT-1Y"]

    def _cart(self, user):
        return self.env["sale.order"].search(
            [("partner_id", "=", user.partner_id.id), ("state", "=", "draft")], order="id desc", limit=1
        )

    def _renew(self, line_id, **data):
        token = re.search(r'csrf_token: "([^"]+)"', self.url_open("/my").text).group(1)
        return self.url_open(
            "/shop/renew", data={"csrf_token": token, "line_id": str(line_id), **data}, allow_redirects=False
        )

    def run_push_jobs(self):
        """Run the FlexNet push jobs queued since the test began, as queue_job's runner does
        (in the order they were queued); returns the orders they pushed."""
        jobs = self.env["queue.job"].search(
            [
                ("id", ">", self._jobs_before),
                ("model_name", "=", "sale.order"),
                ("method_name", "=", "_flexnet_push_entitlement"),
                ("state", "=", "pending"),
            ],
            order="id",
        )
        orders = self.env["sale.order"]
        for record in jobs:
            job = Job.load(self.env, record.uuid)
            job.set_started()
            job.store()
            RunJobController._runjob(self.env, job)
            orders |= job.recordset
        self.env.invalidate_all()
        return orders

    def _fno_maintenance(self, entitlement_id, parent_activation):
        """FlexNet's maintenance items under ``parent_activation``, as FlexNet returns them."""
        entitlement = self.client().get_entitlement(entitlement_id)
        items = [m for m in entitlement.maintenance_line_items if m.parent_activation_id == parent_activation]
        for line in entitlement.line_items:
            if line.activation_id == parent_activation:
                items += [m for m in line.maintenance if m not in items]
        return {m.activation_id: m for m in items}


@tagged("post_install", "-at_install")
class TestRenewalCart(RenewalCase):
    def test_renew_puts_the_lines_seats_in_the_cart_priced_by_the_pricelist(self):
        self.assertTrue(self.nw_cads.maintenance_end)
        self.authenticate("nw_member", "nw_member")
        response = self._renew(self.nw_cads.id)
        self.assertEqual(response.status_code, 303, response.text[:500])
        cart = self._cart(self.nw_user)
        line = cart.order_line
        self.assertEqual(line.product_id, self.maintenance)
        self.assertEqual(line.flexnet_parent_line_id, self.nw_cads)
        self.assertEqual(line.flexnet_renews_from, self.nw_cads.maintenance_end)
        self.assertEqual(line.product_uom_qty, self.nw_cads.seats)
        self.assertEqual(line.price_unit, 350.0)
        self.assertEqual(line.price_subtotal, 350.0 * self.nw_cads.seats)
        # renewing it again leaves the cart as it is
        self._renew(self.nw_cads.id)
        self.assertEqual(len(cart.order_line), 1)
        self.assertEqual(cart.order_line.product_uom_qty, self.nw_cads.seats)
        self.assertTrue(cart._is_cart_ready())

    def test_a_renewal_keeps_its_seat_count(self):
        self.authenticate("nw_member", "nw_member")
        self._renew(self.nw_cads.id)
        cart = self._cart(self.nw_user)
        line = cart.order_line
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/shop/cart/update", {"line_id": line.id, "product_id": line.product_id.id, "quantity": 10}
            )
        self.assertEqual(line.product_uom_qty, self.nw_cads.seats)
        # a quantity changed behind the cart's back is refused at payment
        line.product_uom_qty = 1
        self.assertFalse(cart._is_cart_ready())
        with self.assertRaisesRegex(ValidationError, "its quantity is that seat count"):
            cart._check_cart_is_ready_to_be_paid()
        # removing the renewal is fine
        line.product_uom_qty = self.nw_cads.seats
        self.make_jsonrpc_request(
            "/shop/cart/update", {"line_id": line.id, "product_id": line.product_id.id, "quantity": 0}
        )
        self.assertFalse(cart.order_line)

    def test_the_product_page_lists_the_accounts_own_lines_to_renew(self):
        self.authenticate("nw_member", "nw_member")
        page = self.url_open(self.maintenance.product_tmpl_id.website_url).text
        self.assertIn("o_flexnet_renewal_lines", page)
        self.assertNotIn('id="add_to_cart"', page)  # only the Renew of a line puts it in the cart
        self.assertIn(self.nw_cads.activation_id, page)
        self.assertNotIn(self.acme_cads.activation_id, page)
        response = self._renew(self.nw_cads.id, product_id=str(self.maintenance.id))
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self._cart(self.nw_user).order_line.flexnet_parent_line_id, self.nw_cads)

    def test_another_accounts_line_is_refused_by_form_and_json(self):
        self.authenticate("nw_member", "nw_member")
        for line_id in (self.acme_cads.id, 999999999, "1 OR 1=1", -1):
            response = self._renew(line_id)
            self.assertEqual(response.status_code, 400, line_id)
            self.assertIn("cannot be renewed from your account", response.text)
        self.assertFalse(self._cart(self.nw_user).order_line)
        for parent in (self.acme_cads.id, str(self.acme_cads.id), [self.nw_cads.id]):
            with self.assertRaises(JsonRpcException):
                self.make_jsonrpc_request(
                    "/shop/cart/add",
                    {
                        "product_template_id": self.maintenance.product_tmpl_id.id,
                        "product_id": self.maintenance.id,
                        "quantity": 1,
                        "flexnet_parent_line_id": parent,
                    },
                )
        # a maintenance that renews nothing does not enter the cart either
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/shop/cart/add",
                {
                    "product_template_id": self.maintenance.product_tmpl_id.id,
                    "product_id": self.maintenance.id,
                    "quantity": 1,
                },
            )
        self.assertFalse(self._cart(self.nw_user).order_line)
        # the member of another account cannot renew Northwind's line
        self.authenticate("glx_member", "glx_member")
        self.assertEqual(self._renew(self.nw_cads.id).status_code, 400)
        self.assertFalse(self._cart(self.glx_user).order_line)

    def test_public_visitor_and_salesperson_cannot_renew(self):
        self._anonymous()
        response = self.url_open("/shop/renew", data={"line_id": str(self.nw_cads.id)}, allow_redirects=False)
        self.assertIn(response.status_code, (303, 400))
        self.assertFalse(
            self.env["sale.order.line"].search([("flexnet_parent_line_id", "=", self.nw_cads.id)])
        )
        new_test_user(self.env, "own_sales", groups="sales_team.group_sale_salesman")
        self.authenticate("own_sales", "own_sales")
        self.assertEqual(self._renew(self.nw_cads.id).status_code, 400)
        self.assertFalse(
            self.env["sale.order.line"].search([("flexnet_parent_line_id", "=", self.nw_cads.id)])
        )

    def test_a_line_another_order_renews_is_not_paid_for_twice(self):
        # Dev's colleague's renewal is confirmed and waits for FlexNet
        other = self.env["sale.order"].create(
            {
                "partner_id": self.northwind.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.maintenance.id,
                            "product_uom_qty": self.nw_cads.seats,
                            "flexnet_parent_line_id": self.nw_cads.id,
                        }
                    )
                ],
            }
        )
        other.action_confirm()
        self.assertEqual(other.flexnet_state, "pending")
        self.authenticate("nw_member", "nw_member")
        self._renew(self.nw_cads.id)
        cart = self._cart(self.nw_user)
        self.assertFalse(cart._is_cart_ready())
        with self.assertRaisesRegex(ValidationError, f"already renewed by order {other.name}"):
            cart._check_cart_is_ready_to_be_paid()
        self.assertIn(other.name, self.url_open("/shop/cart").text)

    def test_two_orders_renewing_one_line_extend_it_once(self):
        """Both confirmed (the check at payment passed for both at the same moment): the first
        push extends the maintenance, the second stops and says why."""
        orders = self.env["sale.order"]
        for _i in range(2):
            orders |= self.env["sale.order"].create(
                {
                    "partner_id": self.northwind.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.maintenance.id,
                                "product_uom_qty": self.nw_cads.seats,
                                "flexnet_parent_line_id": self.nw_cads.id,
                            }
                        )
                    ],
                }
            )
        before = self.nw_cads.maintenance_end
        orders.action_confirm()
        self.run_push_jobs()
        first, second = orders
        self.assertEqual(first.flexnet_state, "done", first.flexnet_error)
        self.assertEqual(second.flexnet_state, "failed")
        self.assertIn("was renewed meanwhile", second.flexnet_error)
        items = self._fno_maintenance("ENT-NW-2001", self.nw_cads.activation_id)
        self.assertIn(first.order_line.flexnet_activation_id, items)
        self.assertNotIn(second.order_line.flexnet_activation_id or "-", items)
        renewed_end = before + timedelta(days=1) + relativedelta(months=12) - timedelta(days=1)
        self.assertEqual(self.nw_cads.maintenance_end, renewed_end)
        # sending the failed one again still does not extend it twice
        second.action_flexnet_push()
        self.run_push_jobs()
        self.assertEqual(second.flexnet_state, "failed")
        self.assertEqual(self.nw_cads.maintenance_end, renewed_end)
        self.assertEqual(len(self._fno_maintenance("ENT-NW-2001", self.nw_cads.activation_id)), len(items))


@tagged("post_install", "-at_install")
class TestJourneysWithPayment(MockEmail, RenewalCase):
    def _paid_order(self, user):
        order = self.env["sale.order"].search(
            [("partner_id", "=", user.partner_id.id), ("website_id", "!=", False)], order="id desc", limit=1
        )
        self.assertEqual(order.state, "sale", "the paid order is confirmed by the payment")
        tx = order.transaction_ids
        self.assertEqual(tx.provider_id, self.env.ref("payment.payment_provider_demo"))
        self.assertEqual(tx.state, "done")
        self.assertEqual(order.flexnet_state, "pending")
        return order

    def _confirmation_mail(self, order):
        """The bodies of the e-mails sent for ``order`` that show its FlexNet state."""
        return [
            mail["body"]
            for mail in self._mails
            if order.name in (mail["subject"] or "") and "o_flexnet_mail_state" in (mail["body"] or "")
        ]

    def test_renew_from_my_entitlements_with_payment(self):
        before = self.nw_cads.maintenance_end
        self.assertTrue(before)
        outbox_before = len(self.sim_outbox("ENT-NW-2001"))
        with self.mock_mail_gateway():
            self.start_tour("/my/entitlements", "flexnet_store_renew_with_payment", login="nw_member")
        order = self._paid_order(self.nw_user)
        line = order.order_line.filtered(lambda sol: sol.product_id == self.maintenance)
        self.assertEqual(line.flexnet_parent_line_id, self.nw_cads)
        self.assertEqual(line.product_uom_qty, self.nw_cads.seats)
        self.assertEqual(order.amount_untaxed, 350.0 * self.nw_cads.seats)
        [body] = self._confirmation_mail(order)  # the confirmation e-mail states the FlexNet state
        self.assertIn("Waiting to be sent", body)
        self.assertIn("https://downloads.example.com/portal", body)

        self.run_push_jobs()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        # FlexNet: the maintenance sits under the renewed line, from the day after its end
        items = self._fno_maintenance("ENT-NW-2001", self.nw_cads.activation_id)
        item = items[line.flexnet_activation_id]
        self.assertEqual(item.start_date, before + timedelta(days=1))
        self.assertEqual(
            item.expiration_date, before + timedelta(days=1) + relativedelta(months=12) - timedelta(days=1)
        )
        outbox = self.sim_outbox("ENT-NW-2001")
        self.assertEqual(len(outbox), outbox_before + 1)
        # FlexNet e-mails the renewed entitlement to its contact in FlexNet
        self.assertIn("carla@northwind.example.com", str(outbox[-1]["recipients"]))
        self.assertIn(self.nw_cads.activation_id, outbox[-1]["body"])
        # what the customer sees: the new end date, the order in FlexNet with its download link
        self.assertEqual(self.nw_cads.maintenance_end, item.expiration_date)
        self.authenticate("nw_member", "nw_member")
        page = self.url_open("/my/entitlements").text
        new_end = format_date(self.env, item.expiration_date, lang_code="en_US")
        self.assertIn(new_end, page)
        order_page = self.url_open(order.get_portal_url()).text
        self.assertIn("In FlexNet", order_page)
        self.assertIn("o_flexnet_order_download", order_page)

    def test_buy_seats_with_payment(self):
        seats = self.products["CADS-SEAT"]
        with self.mock_mail_gateway():
            self.start_tour(
                "/shop?search=Extra Seat", "flexnet_store_buy_seats_with_payment", login="nw_member"
            )
        order = self._paid_order(self.nw_user)
        self.assertEqual(order.order_line.product_id, seats)
        [body] = self._confirmation_mail(order)
        self.assertIn("Waiting to be sent", body)
        self.run_push_jobs()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        entitlement = self.client().get_entitlement(order.flexnet_entitlement_ref)
        self.assertEqual(entitlement.sold_to, "NW-0042")
        [item] = entitlement.line_items
        self.assertEqual(item.part_number, "CADS-SEAT")
        self.assertEqual(item.number_of_copies, 1)
        self.assertEqual(item.activation_id, order.order_line.flexnet_activation_id)
        self.assertEqual(len(self.sim_outbox(order.flexnet_entitlement_ref)), 1)
        self.authenticate("nw_member", "nw_member")
        self.assertIn(item.activation_id, self.url_open("/my/entitlements").text)
        order_page = self.url_open(order.get_portal_url()).text
        self.assertIn("In FlexNet", order_page)
        self.assertIn("https://downloads.example.com/portal", order_page)
