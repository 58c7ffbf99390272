"""Journeys of the "purchase media kit" button as FlexNet's download page sends it (account,
user, the downloaded item's partner product ID) and the shop permissions of FlexNet roles."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import JsonRpcException, new_test_user, tagged

from .common import FlexnetStoreCase


class _KitLinkCase(FlexnetStoreCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.carla_user = cls._portal_user("nw_admin", "carla@northwind.example.com")
        cls.dev = cls.nw_user.partner_id

    def _item_link(self, item="DVS-31-LINUX", **overrides):
        """A link naming the downloaded ESD item, without the kit's part number."""
        values = {
            "account": "NW-0042",
            "email": "dev.patel@northwind.example.com",
            "name": "Dev Patel",
            "item": item,
        }
        values.update(overrides)
        return self.backend._media_link_url(**values)

    def _csrf(self, response):
        return response.text.split('name="csrf_token" value="')[1].split('"')[0]

    def _orders(self, partner):
        return self.env["sale.order"].search([("partner_id", "=", partner.id)])

    def _assert_refused(self, url, text, status=(400, 403, 404)):
        before = self.env["sale.order"].search_count([])
        response = self.url_open(url)
        self.assertIn(response.status_code, status)
        self.assertIn("o_flexnet_error", response.text)
        self.assertIn(text, response.text)
        self.assertEqual(self.env["sale.order"].search_count([]), before)
        return response


@tagged("post_install", "-at_install")
class TestEsdItemLink(_KitLinkCase):
    def _ship(self, response, **fields):
        data = {
            "csrf_token": self._csrf(response),
            "name": "Dev Patel",
            "street": "1 Dock Road",
            "city": "Bristol",
            "zip": "BS1 1AA",
            "country_id": self.env.ref("base.uk").id,
            "phone": "+44 117 496 0043",
        }
        data.update(fields)
        return self.url_open("/flexnet/media-kit/ship", data={k: v for k, v in data.items() if v is not None})

    def test_free_kit_from_the_download_page_link_is_prefilled_and_ordered(self):
        self.authenticate("nw_member", "nw_member")
        response = self.url_open(self._item_link())
        self.assertIn("o_flexnet_ship_form", response.text)
        self.assertIn("DataVault Server Media Kit", response.text)  # the kit mapped to the ESD item
        # prefilled from FlexNet: the account's address and name, the member's phone
        for prefilled in ("12 Harbourside", "BS1 5TX", "Northwind Engineering", "+44 117 496 0043"):
            self.assertIn(prefilled, response.text)
        response = self._ship(response, street2="Gate 4")
        self.assertIn("o_flexnet_kit_ordered", response.text)
        order = self._orders(self.dev).filtered(lambda o: o.state == "sale")
        self.assertEqual(len(order), 1)
        self.assertEqual(order.order_line.product_id.default_code, "DVS-MEDIA-DVD")
        self.assertEqual(order.amount_total, 0)
        shipping = order.partner_shipping_id
        self.assertEqual(
            (shipping.street, shipping.street2, shipping.phone, shipping.commercial_company_name),
            ("1 Dock Road", "Gate 4", "+44 117 496 0043", "Northwind Engineering"),
        )
        self.assertEqual(shipping.parent_id, self.northwind)
        self.assertIn("Northwind Engineering", response.text)  # the confirmation names the company

    def test_ship_to_asks_for_phone_and_a_state_of_the_country(self):
        self.authenticate("nw_member", "nw_member")
        form = self.url_open(self._item_link())
        response = self._ship(form, phone="")
        self.assertIn("o_flexnet_ship_form", response.text)
        self.assertIn("Please fill in every required field", response.text)
        us = self.env.ref("base.us")
        us.state_required = True
        response = self._ship(form, country_id=us.id, state_id=None)
        self.assertIn("Please choose the state or province in United States", response.text)
        # the form now lists the states of the country chosen
        self.assertIn("Illinois", response.text)
        response = self._ship(form, state_id=self.env.ref("base.state_us_17").id)  # Kansas, in the UK
        self.assertIn("is not one of United Kingdom", response.text)
        self.assertFalse(self._orders(self.dev))
        response = self._ship(form, country_id=us.id, state_id=self.env.ref("base.state_us_14").id)
        self.assertIn("o_flexnet_kit_ordered", response.text)
        self.assertEqual(self._orders(self.dev).partner_shipping_id.state_id.code, "IL")

    def test_tour_free_kit_from_the_download_page_link(self):
        self.start_tour(self._item_link(), "flexnet_store_media_kit_free", login="nw_member")
        order = self._orders(self.dev)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.partner_shipping_id.street, "7 Quay Street")
        self.assertEqual(order.partner_shipping_id.phone, "+44 117 496 0043")

    def test_priced_kit_from_the_download_page_link_lands_in_the_cart(self):
        self.authenticate("nw_member", "nw_member")
        response = self.url_open(self._item_link("CADS-2025-WIN64"))
        self.assertEqual(response.url.split("?")[0].rsplit("/", 2)[-2:], ["shop", "cart"])
        self.assertEqual(self._orders(self.dev).order_line.product_id.default_code, "CADS-MEDIA-DVD")

    def test_forged_unknown_ambiguous_and_foreign_item_links_are_refused(self):
        self._anonymous()
        forged = self._item_link().replace("item=DVS-31-LINUX", "item=CADS-2025-WIN64")
        self._assert_refused(forged, "not genuine")
        # an item turned into a part number (or the reverse) breaks the signature too
        moved = self._item_link("CADS-MEDIA-DVD").replace("part=&", "part=CADS-MEDIA-DVD&")
        self._assert_refused(moved.replace("&item=CADS-MEDIA-DVD", ""), "not genuine")
        self._assert_refused(self._item_link("NO-SUCH-ITEM"), "not known to the shop", (404,))
        # a member of another account cannot order on Northwind's account
        self._assert_refused(self._item_link(email="grace@globex.example.com"), "not a member")
        # Globex is not entitled to DataVault
        self._assert_refused(
            self._item_link(account="GLX-017", email="grace@globex.example.com"), "not entitled"
        )
        # one item, two kits: the link names no kit
        self.products["SIMF-MEDIA-USB"].flexnet_esd_item = "DVS-31-LINUX"
        with self.assertLogs("odoo.addons.flexnet_store.models.flexnet_backend", "WARNING") as logged:
            self._assert_refused(self._item_link(), "not known to the shop", (404,))
        self.assertIn("mapped to several media kits", logged.output[0])

    def test_an_item_set_in_odoo_names_the_kit(self):
        """A kit FlexNet names no item for takes the one set on it in Odoo."""
        kit = self.products["DVS-MEDIA-DVD"]
        kit.write({"flexnet_esd_item": "DVS-31-WIN", "flexnet_esd_item_synced": False})
        self.authenticate("nw_member", "nw_member")
        self.assertIn("o_flexnet_ship_form", self.url_open(self._item_link("DVS-31-WIN")).text)
        self._assert_refused(self._item_link("DVS-31-LINUX"), "not known to the shop", (404,))


@tagged("post_install", "-at_install")
class TestShopRoles(_KitLinkCase):
    """Northwind: Carla is Portal Admin, Dev Portal User; only admins may buy and order media."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.write({"shop_buyer_roles": "Portal Admin", "shop_free_media_roles": "portal admin"})

    def _add(self, product):
        return self.make_jsonrpc_request(
            "/shop/cart/add",
            {"product_template_id": product.product_tmpl_id.id, "product_id": product.id, "quantity": 1},
        )

    def test_a_member_whose_role_may_not_buy_sees_why_and_every_cart_path_refuses(self):
        render = self.products["CADS-RENDER"]
        self.authenticate("nw_member", "nw_member")
        page = self.url_open("/shop").text
        self.assertIn("o_flexnet_role_refused", page)
        self.assertIn("Your FlexNet role does not allow you to buy for Northwind Engineering", page)
        with self.assertRaises(JsonRpcException):
            self._add(render)
        self.assertFalse(self._orders(self.dev).order_line)
        cart = self.env["sale.order"].create({"partner_id": self.dev.id, "website_id": self.website.id})
        with self.assertRaises(UserError):
            cart._cart_add(product_id=render.id, quantity=1)
        # a line that got into the cart otherwise (before the rule, back office) is not paid for
        self.env["sale.order.line"].create({"order_id": cart.id, "product_id": render.id})
        self.assertFalse(cart._is_cart_ready())
        with self.assertRaises(ValidationError):
            cart._check_cart_is_ready_to_be_paid()
        # the portal admin of the same account buys
        self.authenticate("nw_admin", "nw_admin")
        self.assertNotIn("o_flexnet_role_refused", self.url_open("/shop").text)
        self._add(render)
        self.assertEqual(self._orders(self.carla_user.partner_id).order_line.product_id, render)

    def test_a_member_flexnet_deactivated_may_neither_buy_nor_order_media(self):
        self.backend.write({"shop_buyer_roles": False, "shop_free_media_roles": False})
        carla = self.carla_user.partner_id
        self.assertTrue(carla.flexnet_may_buy)
        carla.flexnet_can_login = False  # FlexNet deactivated her; her web session is still open
        self.assertFalse(carla.flexnet_may_buy or carla.flexnet_may_order_free_media)
        self.authenticate("nw_admin", "nw_admin")
        self.assertIn("Your FlexNet user is no longer active", self.url_open("/shop").text)
        with self.assertRaises(JsonRpcException):
            self._add(self.products["CADS-RENDER"])
        self.assertFalse(self._orders(carla).order_line)

    def test_no_role_listed_lets_every_member_buy(self):
        self.backend.shop_buyer_roles = False
        self.authenticate("nw_member", "nw_member")
        self.assertNotIn("o_flexnet_role_refused", self.url_open("/shop").text)
        self._add(self.products["CADS-RENDER"])
        self.assertTrue(self._orders(self.dev).order_line)

    def test_a_contact_that_is_no_flexnet_member_holds_no_role(self):
        contact = self.env["res.partner"].create({"name": "Office", "parent_id": self.northwind.id})
        self.assertFalse(contact.flexnet_may_buy)
        self.assertFalse(self.northwind.flexnet_may_buy)  # the account's own record
        self.assertTrue(self.carla_user.partner_id.flexnet_may_buy)
        outsider = self.env["res.partner"].create({"name": "Walk-in customer"})
        self.assertTrue(outsider.flexnet_may_buy)  # no FlexNet account: nothing to restrict
        self._anonymous()
        self.assertNotIn("o_flexnet_role_refused", self.url_open("/shop").text)

    def test_neither_a_member_nor_a_salesperson_changes_roles_or_the_rules(self):
        salesman = new_test_user(self.env, "kit_sales", groups="sales_team.group_sale_salesman")
        with self.assertRaises(AccessError):
            self.backend.with_user(salesman).write({"shop_buyer_roles": False})
        with self.assertRaises(AccessError):
            self.backend.with_user(self.nw_user).read(["shop_buyer_roles"])
        with self.assertRaises(AccessError):
            self.dev.with_user(self.nw_user).write({"flexnet_roles": "Portal Admin"})
        self.assertEqual(self.backend.shop_buyer_roles, "Portal Admin")
        self.assertFalse(self.dev.flexnet_may_buy)

    def test_free_media_follows_the_role_and_is_refused_server_side(self):
        self.authenticate("nw_member", "nw_member")
        self._assert_refused(self._item_link(), "does not allow you to order free media kits", (403,))
        # the order itself refuses, whatever led to it
        kit = self.products["DVS-MEDIA-DVD"]
        address = {
            "name": "Dev",
            "street": "1 Dock Road",
            "city": "Bristol",
            "zip": "BS1 1AA",
            "country_id": str(self.env.ref("base.uk").id),
            "phone": "1",
        }
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(self.nw_user)._flexnet_order_free_media_kit(
                kit, self.website, address, "nonce-dev"
            )
        self.assertFalse(self._orders(self.dev))
        self.authenticate("nw_admin", "nw_admin")
        link = self._item_link(email="carla@northwind.example.com", name="Carla")
        self.assertIn("o_flexnet_ship_form", self.url_open(link).text)

    def test_a_priced_kit_link_is_refused_to_a_member_who_may_not_buy(self):
        self.authenticate("nw_member", "nw_member")
        self._assert_refused(self._item_link("CADS-2025-WIN64"), "does not allow you to buy", (403,))
        self.assertFalse(self._orders(self.dev).order_line)


@tagged("post_install", "-at_install")
class TestPricedKitPayment(_KitLinkCase):
    """A priced kit from the download page's link, through checkout and Odoo's demo payment
    provider in test mode, to a confirmed order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("delivery.free_delivery_carrier").write({"is_published": True, "website_id": False})
        cls.dev.write(
            {
                "street": "12 Harbourside",
                "city": "Bristol",
                "zip": "BS1 5TX",
                "country_id": cls.env.ref("base.uk").id,
            }
        )

    def test_tour_priced_kit_from_a_link_through_payment(self):
        provider = self.env.ref("payment.payment_provider_demo")
        provider.write({"state": "test", "is_published": True})
        self.env["payment.provider"].search([("id", "!=", provider.id)]).write({"state": "disabled"})
        self.start_tour(self._item_link("CADS-2025-WIN64"), "flexnet_store_media_kit_paid", login="nw_member")
        order = self._orders(self.dev)
        self.assertEqual(order.state, "sale")
        kit_line = order.order_line.filtered(lambda line: line.product_id.flexnet_kind == "media_kit")
        self.assertEqual(kit_line.product_id.default_code, "CADS-MEDIA-DVD")
        self.assertGreater(order.amount_total, 0)
        [transaction] = order.transaction_ids
        self.assertEqual((transaction.provider_id, transaction.state), (provider, "done"))
