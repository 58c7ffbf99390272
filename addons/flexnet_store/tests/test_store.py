import re
import time
from urllib.parse import urlsplit

from psycopg2 import IntegrityError

from odoo import sql_db
from odoo.exceptions import AccessDenied, AccessError, UserError, ValidationError
from odoo.tests import JsonRpcException, new_test_user, tagged
from odoo.tools import config, mute_logger

from .common import FlexnetStoreCase


@tagged("post_install", "-at_install")
class TestGating(FlexnetStoreCase):
    def _shop(self, search):
        return self.url_open(f"/shop?search={search}").text

    def test_listing_follows_entitlements(self):
        self.authenticate("nw_member", "nw_member")
        page = self._shop("CAD Studio")
        self.assertIn("CAD Studio Render Module", page)  # add-on of an entitled title
        self.assertIn("CAD Studio Extra Seat", page)
        page = self._shop("SimFlow")
        self.assertIn("SimFlow Analyzer", page)  # licenses are open to everyone
        self.assertNotIn("SimFlow CFD Solver", page)  # not entitled to SimFlow
        self.authenticate("glx_member", "glx_member")
        self.assertIn("SimFlow CFD Solver", self._shop("SimFlow"))
        self.assertNotIn("CAD Studio Render Module", self._shop("CAD Studio"))

    def test_a_product_without_a_shop_access_value_is_open(self):
        # a product created while this addon is not loaded (another module's data or tests on
        # an update) has no value: the column takes no NOT NULL, and such a product is open
        template = self.env["product.template"].create({"name": "Made elsewhere", "is_published": True})
        self.env.cr.execute("UPDATE product_template SET flexnet_gating = NULL WHERE id = %s", [template.id])
        template.invalidate_recordset()
        Template = self.env["product.template"]
        self.assertEqual(Template.with_user(self.nw_user).search([("id", "=", template.id)]), template)
        self.assertTrue(template.product_variant_id._flexnet_allowed_for(self.globex))

    def test_public_visitor_sees_open_products_only(self):
        self._anonymous()
        page = self._shop("CAD Studio")
        self.assertIn("CAD Studio", page)
        self.assertNotIn("CAD Studio Render Module", page)
        self.assertNotIn("CAD Studio Media Kit", page)

    def test_gated_product_page_is_not_found(self):
        render = self.products["CADS-RENDER"].product_tmpl_id
        self.authenticate("glx_member", "glx_member")
        response = self.url_open(render.website_url)
        self.assertEqual(response.status_code, 404)
        self.authenticate("nw_member", "nw_member")
        self.assertEqual(self.url_open(render.website_url).status_code, 200)

    def test_an_ungated_website_shows_every_product_page(self):
        """A second website with gating off, beside the gated one: a signed-in member of an
        account not entitled to a product opens its page there (the route's access check runs
        before Odoo sets ``request.website``), and still not on the gated website."""
        render = self.products["CADS-RENDER"].product_tmpl_id
        open_host = f"localhost:{config['http_port']}"
        self.env["website"].create(
            {"name": "Open shop", "domain": f"http://{open_host}", "flexnet_gating": False}
        )
        self.authenticate("glx_member", "glx_member")

        def on_open_shop(url):
            # the session cookie is sent whatever the Host (the client files cookies by Host)
            return self.url_open(url, headers={"Host": open_host}, cookies={"session_id": self.session.sid})

        gated, ungated = self.url_open(render.website_url), on_open_shop(render.website_url)
        self.assertEqual((gated.status_code, ungated.status_code), (404, 200))
        self.assertIn("CAD Studio Render Module", ungated.text)
        self.assertIn(f'"uid": {self.glx_user.id},', ungated.text)  # signed in, not a visitor
        listing = on_open_shop("/shop?search=Render").text
        self.assertIn("CAD Studio Render Module", listing)
        self.assertNotIn("CAD Studio Render Module", self._shop("Render"))
        # RPC keeps the gating whatever the host it is sent to: it is served by no website
        for host in (open_host, f"127.0.0.1:{config['http_port']}"):
            found = self.make_jsonrpc_request(
                "/web/dataset/call_kw/product.template/search_read",
                {
                    "model": "product.template",
                    "method": "search_read",
                    "args": [[("id", "=", render.id)], ["name"]],
                    "kwargs": {},
                },
                headers={"Host": host},
                cookies={"session_id": self.session.sid},
            )
            self.assertEqual(found, [], host)

    def test_cart_add_of_a_gated_product_is_refused(self):
        render = self.products["CADS-RENDER"]
        self.authenticate("glx_member", "glx_member")
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/shop/cart/add",
                {"product_template_id": render.product_tmpl_id.id, "product_id": render.id, "quantity": 1},
            )
        order = self.env["sale.order"].search([("partner_id", "=", self.glx_user.partner_id.id)])
        self.assertFalse(order.order_line.filtered(lambda line: line.product_id == render))
        # the same product is fine for an entitled customer
        self.authenticate("nw_member", "nw_member")
        self.make_jsonrpc_request(
            "/shop/cart/add",
            {"product_template_id": render.product_tmpl_id.id, "product_id": render.id, "quantity": 2},
        )
        order = self.env["sale.order"].search([("partner_id", "=", self.nw_user.partner_id.id)], limit=1)
        self.assertEqual(order.order_line.product_id, render)

    def test_every_cart_path_is_gated(self):
        render = self.products["CADS-RENDER"]
        cart = self.env["sale.order"].create(
            {"partner_id": self.glx_user.partner_id.id, "website_id": self.website.id}
        )
        with self.assertRaises(UserError):
            cart._cart_add(product_id=render.id, quantity=1)
        # a line slipped in by other means (quantity update, stale cart) is caught again
        allowed = self.products["SIMF-CFD"]
        cart._cart_add(product_id=allowed.id, quantity=1)
        line = self.env["sale.order.line"].create({"order_id": cart.id, "product_id": render.id})
        with self.assertRaises(UserError):
            cart._cart_update_line_quantity(line.id, 3)
        self.assertFalse(cart._is_cart_ready())
        with self.assertRaises(ValidationError):
            cart._check_cart_is_ready_to_be_paid()
        line.unlink()
        self.assertTrue(cart._is_cart_ready())

    def test_entitlement_expiry_and_account_type_rules(self):
        cfd = self.products["SIMF-CFD"].product_tmpl_id
        self.assertTrue(self.products["SIMF-CFD"]._flexnet_allowed_for(self.globex))
        cfd.flexnet_account_type_ids = self.env.ref("flexnet_sync.account_type_channel_partner")
        self.assertFalse(self.products["SIMF-CFD"]._flexnet_allowed_for(self.globex))
        cfd.write(
            {
                "flexnet_account_type_ids": [(5,)],
                "flexnet_gating": "products",
                "flexnet_required_product_ids": [(6, 0, self.products["DVS-LIC"].ids)],
            }
        )
        self.assertFalse(self.products["SIMF-CFD"]._flexnet_allowed_for(self.globex))
        self.assertTrue(self.products["SIMF-CFD"]._flexnet_allowed_for(self.northwind))
        cfd.flexnet_gating = "entitled"
        nobody = self.env["res.partner"].create({"name": "No entitlements", "is_company": True})
        self.assertFalse(self.products["SIMF-CFD"]._flexnet_allowed_for(nobody))
        self.assertTrue(self.products["SIMF-CFD"]._flexnet_allowed_for(self.globex))

    def test_query_count_does_not_grow_with_entitlements(self):
        Template = self.env["product.template"]
        products = self.env["product.product"].search([("flexnet_backend_id", "=", self.backend.id)])
        others = self.env["product.product"].search([("flexnet_backend_id", "=", False)], limit=1000)
        account_ids = []
        for size in (10, 1000):
            account = self.env["res.partner"].create({"name": f"{size} entitlements", "is_company": True})
            rows = (products | others)[:size]
            entitlement = self.env["flexnet.entitlement"].create(
                {"name": f"ENT-{size}", "backend_id": self.backend.id, "partner_id": account.id}
            )
            self.env["flexnet.entitlement.line"].create(
                [
                    {
                        "activation_id": f"ACT-{size}-{p.id}",
                        "backend_id": self.backend.id,
                        "entitlement_id": entitlement.id,
                        "partner_id": account.id,
                        "product_id": p.id,
                        "is_permanent": True,
                    }
                    for p in rows
                ]
            )
            self.assertEqual(
                self.env["flexnet.entitled.product"].search_count([("partner_id", "=", account.id)]),
                len(rows),
            )
            account_ids.append(account.id)
        self.env.flush_all()
        Template.search_count(Template._flexnet_gating_domain(self.globex))  # warm the caches
        counts = []
        for account_id in account_ids:
            self.env.invalidate_all()
            partner = self.env["res.partner"].browse(account_id)  # no shared prefetching
            start = sql_db.sql_counter
            Template.search_count(Template._flexnet_gating_domain(partner))
            counts.append(sql_db.sql_counter - start)
        self.assertEqual(counts[0], counts[1])

    def test_tour_entitled_customer_buys_addon(self):
        self.start_tour("/shop?search=Render", "flexnet_store_entitled_buys_addon", login="nw_member")

    def test_tour_unentitled_customer_does_not_see_addon(self):
        self.start_tour(
            "/shop?search=SimFlow", "flexnet_store_unentitled_does_not_see_addon", login="nw_member"
        )


@tagged("post_install", "-at_install")
class TestMediaKitLink(FlexnetStoreCase):
    def _link(self, **overrides):
        return self._media_link(**overrides)

    def test_priced_kit_lands_in_the_cart(self):
        self._anonymous()
        response = self.url_open(self._link())
        # opening the link signs nobody in: the visitor confirms who they are first
        self.assertEqual(self.url_open("/my", allow_redirects=False).status_code, 303)
        self.assertIn("Northwind Engineering", response.text)  # whose account the link opens
        response = self._confirm_sign_in(response)
        self.assertEqual(urlsplit(response.url).path, "/shop/cart")
        order = self.env["sale.order"].search([("partner_id", "=", self.nw_user.partner_id.id)], limit=1)
        self.assertEqual(order.order_line.product_id.default_code, "CADS-MEDIA-DVD")

    def test_tour_priced_kit(self):
        self.start_tour(self._link(), "flexnet_store_media_kit_cart", login="nw_member")

    def test_free_kit_asks_for_the_address_and_orders(self):
        self.authenticate("nw_member", "nw_member")
        response = self.url_open(self._link(part="DVS-MEDIA-DVD"))
        self.assertIn("o_flexnet_ship_form", response.text)
        token = response.text.split('name="csrf_token" value="')[1].split('"')[0]
        response = self.url_open(
            "/flexnet/media-kit/ship",
            data={
                "csrf_token": token,
                "name": "Dev Patel",
                "street": "1 Dock Road",
                "city": "Bristol",
                "zip": "BS1 1AA",
                "country_id": self.env.ref("base.uk").id,
                "phone": "+44 117 496 0000",
            },
        )
        self.assertIn("o_flexnet_kit_ordered", response.text)
        order = self.env["sale.order"].search(
            [("partner_id", "=", self.nw_user.partner_id.id), ("state", "=", "sale")], limit=1
        )
        self.assertEqual(order.amount_total, 0)
        self.assertEqual(order.partner_shipping_id.street, "1 Dock Road")
        self.assertEqual(order.order_line.product_id.default_code, "DVS-MEDIA-DVD")

    def test_tour_free_kit(self):
        self.start_tour(self._link(part="DVS-MEDIA-DVD"), "flexnet_store_media_kit_free", login="nw_member")

    def _assert_refused(self, url, text):
        before = self.env["sale.order"].search_count([])
        response = self.url_open(url)
        self.assertIn(response.status_code, (400, 403, 404))
        self.assertIn("o_flexnet_error", response.text)
        self.assertIn(text, response.text)
        self.assertEqual(self.env["sale.order"].search_count([]), before)

    def test_forged_expired_replayed_and_cross_account_links(self):
        self._anonymous()
        forged = self._link().replace("part=CADS-MEDIA-DVD", "part=DVS-MEDIA-DVD")
        self._assert_refused(forged, "not genuine")
        self._assert_refused(
            self.backend._media_link_url(
                "NW-0042",
                "dev.patel@northwind.example.com",
                "Dev",
                "CADS-MEDIA-DVD",
                ts=int(time.time()) - 3600,
            ),
            "expired",
        )
        link = self._link()
        self.url_open(link)
        self._anonymous()
        self._assert_refused(link, "already used")
        # a member of Globex cannot order on Northwind's account
        self._assert_refused(self._link(email="grace@globex.example.com"), "not a member")
        # Globex is not entitled to CAD Studio media
        self._assert_refused(self._link(account="GLX-017", email="grace@globex.example.com"), "not entitled")
        self._assert_refused("/flexnet/media-kit?backend=1&account=NW-0042", "incomplete")


@tagged("post_install", "-at_install")
class TestSignOn(FlexnetStoreCase):
    def _token(self, user="carla@northwind.example.com"):
        return self.client().get_secure_token(user, timeout_seconds=120)

    def test_hand_off_signs_in_and_provisions_the_member(self):
        self._anonymous()
        carla_member = self.env["res.partner"].search(
            [("flexnet_user_name", "=", "carla@northwind.example.com")]
        )
        token = self._token()
        response = self.url_open(
            f"/flexnet/sso?token={token}&user=carla@northwind.example.com&redirect=/my/entitlements"
        )
        self.assertEqual(self.url_open("/my", allow_redirects=False).status_code, 303)  # not yet
        response = self._confirm_sign_in(response)
        self.assertEqual(urlsplit(response.url).path, "/my/entitlements")
        self.assertIn("ENT-NW-2001-L1", response.text)
        self.assertNotIn("ENT-ACME", response.text)
        user = self.env["res.users"].search([("partner_id", "=", carla_member.id)])
        self.assertTrue(user._is_portal())

    def test_replayed_tampered_and_foreign_tokens_open_no_session(self):
        self._anonymous()
        token = self._token()
        self.url_open(f"/flexnet/sso?token={token}&user=carla@northwind.example.com")
        self._anonymous()
        for url in (
            f"/flexnet/sso?token={token}&user=carla@northwind.example.com",  # replayed
            f"/flexnet/sso?token={token[:-2]}xx&user=carla@northwind.example.com",  # tampered
            f"/flexnet/sso?token={self._token('dev.patel@northwind.example.com')}&user=carla@northwind.example.com",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 403, url)
            self.assertEqual(self.url_open("/my", allow_redirects=False).status_code, 303)  # still anonymous

    def test_open_redirects_are_refused(self):
        for target in (
            "//evil.example.com/x",
            "https://evil.example.com",
            "/\\evil.example.com",
            "javascript:alert(1)",
        ):
            self._anonymous()
            response = self.url_open(
                f"/flexnet/sso?token={self._token()}&user=carla@northwind.example.com&redirect={target}",
            )
            response = self._confirm_sign_in(response, allow_redirects=False)
            location = urlsplit(response.headers["Location"])
            self.assertEqual(location.path, "/my", target)
            self.assertNotIn("evil", location.netloc)

    def test_flexnet_down_gives_a_clear_page_and_no_session(self):
        self._anonymous()
        token = self._token()
        self.sim_arm("validateToken", "http503", count=10)
        with mute_logger("odoo.addons.flexnet_store.models.res_users"):
            response = self.url_open(f"/flexnet/sso?token={token}&user=carla@northwind.example.com")
        self.assertEqual(response.status_code, 503)
        self.assertIn("could not confirm", response.text)
        self.assertEqual(self.url_open("/my", allow_redirects=False).status_code, 303)

    def test_login_page_accepts_flexnet_credentials(self):
        self._anonymous()
        hank = self.env["res.partner"].search([("flexnet_user_name", "=", "hank@globex.example.com")])
        self.assertFalse(self.env["res.users"].search([("partner_id", "=", hank.id)]))
        self.authenticate("hank@globex.example.com", "flexnet")
        user = self.env["res.users"].search([("partner_id", "=", hank.id)])
        self.assertTrue(user._is_portal())
        self.assertIn("ENT-GLX-3001", self.url_open("/my/entitlements").text)
        credential = {"type": "password", "login": "hank@globex.example.com", "password": "wrong"}
        with self.assertRaises(AccessDenied):
            self.env["res.users"].authenticate(credential, {"interactive": True})
        credential["password"] = "flexnet"
        self.assertEqual(
            self.env["res.users"].authenticate(credential, {"interactive": True})["uid"], user.id
        )


@tagged("post_install", "-at_install")
class TestAccountTerms(FlexnetStoreCase):
    def test_reseller_gets_reseller_pricelist(self):
        reseller = self.env.ref("flexnet_store.pricelist_reseller_demo", raise_if_not_found=False)
        if not reseller:
            reseller = self.env["product.pricelist"].create({"name": "Resellers"})
            self.env["flexnet.store.account.term"].create(
                {
                    "website_id": self.website.id,
                    "account_type_id": self.env.ref("flexnet_sync.account_type_channel_partner").id,
                    "pricelist_id": reseller.id,
                }
            )
        self.summit.flexnet_account_type = "CUSTOMER"
        self.summit.flexnet_account_type = "CHANNEL_PARTNER"
        self.assertEqual(self.summit.property_product_pricelist, reseller)
        self.assertNotEqual(self.northwind.property_product_pricelist, reseller)

    def test_tour_reseller_price(self):
        reseller = self.env["product.pricelist"].create(
            {
                "name": "Resellers 20",
                "item_ids": [
                    (0, 0, {"compute_price": "percentage", "percent_price": 20, "applied_on": "3_global"})
                ],
            }
        )
        self.env["flexnet.store.account.term"].search([]).unlink()
        self.env["flexnet.store.account.term"].create(
            {
                "website_id": self.website.id,
                "account_type_id": self.env.ref("flexnet_sync.account_type_channel_partner").id,
                "pricelist_id": reseller.id,
            }
        )
        member = self.env["res.partner"].search(
            [("flexnet_user_name", "=", "sue@summit-partners.example.com")]
        )
        self._portal_user("ssp_member", member.flexnet_user_name)
        self.summit._flexnet_apply_account_terms()
        self.start_tour("/shop?search=DataVault Server", "flexnet_store_reseller_price", login="ssp_member")

    def test_portal_shows_own_entitlements_only(self):
        acme_line = self.env["flexnet.entitlement.line"].search([("activation_id", "=", "ENT-ACME-1001-L1")])
        self.authenticate("nw_member", "nw_member")
        page = self.url_open("/my/entitlements").text
        self.assertIn("ENT-NW-2001-L1", page)
        self.assertNotIn("ENT-ACME-1001-L1", page)
        self.assertIn("o_flexnet_action_seats", page)  # buy more CAD Studio seats
        response = self.url_open(f"/my/entitlements/{acme_line.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        # the account's own maintenance items are shown on their lines, not as lines of their own
        maintenance = self.env["flexnet.entitlement.line"].search(
            [("partner_id", "=", self.northwind.id), ("line_type", "!=", "entitlement")], limit=1
        )
        self.assertTrue(maintenance)
        response = self.url_open(f"/my/entitlements/{maintenance.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        lines = self.env["flexnet.entitlement.line"].with_user(self.nw_user).search([])
        self.assertEqual(lines.partner_id, self.northwind)


@tagged("post_install", "-at_install")
class TestOrderDownloadLink(FlexnetStoreCase):
    def test_portal_order_shows_the_download_centre_without_reading_the_backend(self):
        self.backend.download_center_url = "https://downloads.example.com/portal"
        order = self.env["sale.order"].create(
            {
                "partner_id": self.nw_user.partner_id.id,
                "order_line": [(0, 0, {"product_id": self.products["CADS-RENDER"].id, "product_uom_qty": 1})],
            }
        )
        order.with_context(queue_job__no_delay=True).action_confirm()
        self.assertEqual(order.flexnet_state, "done", order.flexnet_error)
        portal_order = order.with_user(self.nw_user)
        self.assertEqual(portal_order.flexnet_download_url, "https://downloads.example.com/portal")
        with self.assertRaises(AccessError):
            self.env["flexnet.backend"].with_user(self.nw_user).browse(self.backend.id).read(
                ["download_center_url"]
            )
        self.authenticate("nw_member", "nw_member")
        page = self.url_open(order.get_portal_url()).text
        self.assertIn("https://downloads.example.com/portal", page)


@tagged("post_install", "-at_install")
class TestAbuse(FlexnetStoreCase):
    """What an attacker tried: each is refused, and nothing is created or changed."""

    def test_members_are_matched_exactly_never_as_patterns(self):
        Users = self.env["res.users"].sudo()
        carla = Users._flexnet_member("carla@northwind.example.com")
        self.assertTrue(carla)
        self.assertEqual(Users._flexnet_member("CARLA@Northwind.example.com"), carla)  # case only
        for hostile in ("c_rla@northwind.example.com", "%@northwind.example.com", "carla@%", "_%"):
            self.assertFalse(Users._flexnet_member(hostile), hostile)
        # an e-mail two members share signs nobody in
        twin_a = carla.copy({"flexnet_user_name": "twin-a@example.com", "email": "shared@example.com"})
        carla.copy({"flexnet_user_name": "twin-b@example.com", "email": "shared@example.com"})
        self.assertEqual(Users._flexnet_member("twin-a@example.com"), twin_a)
        with mute_logger("odoo.addons.flexnet_store.models.res_users"):
            self.assertFalse(Users._flexnet_member("shared@example.com"))
        # scoped to the backend that vouches for the member
        other = self.backend.copy({"name": "Other FNO"})
        self.assertFalse(Users._flexnet_member("carla@northwind.example.com", backend=other))
        self.assertEqual(Users._flexnet_member("carla@northwind.example.com", backend=self.backend), carla)

    def test_flexnet_checks_the_members_own_user_name(self):
        # Hank's FlexNet user name is his e-mail; a member whose user name is not: FlexNet is
        # asked about that user name, never about what was typed to find the member
        hank = self.env["res.partner"].search([("flexnet_user_name", "=", "hank@globex.example.com")])
        store = self.simulator.store
        with store.lock:
            store.db.execute(
                "UPDATE users SET user_name = 'hank.s' WHERE user_name = 'hank@globex.example.com'"
            )
            store.db.commit()
        self.addCleanup(self._rename_fno_user, "hank.s", "hank@globex.example.com")
        hank.flexnet_user_name = "hank.s"
        credential = {"type": "password", "login": "hank@globex.example.com", "password": "flexnet"}
        uid = self.env["res.users"].authenticate(credential, {"interactive": True})["uid"]
        self.assertEqual(self.env["res.users"].browse(uid).partner_id, hank)
        # somebody creates a FlexNet user literally named like Hank's e-mail, with a password of
        # their own: that password does not open Hank's account
        with store.lock:
            store.db.execute(
                "INSERT INTO users(unique_id, user_name, first_name, last_name, email, password, created, modified) "
                "VALUES ('x1', 'hank@globex.example.com', 'M', 'H', 'm@example.com', 'mallory', '', '')"
            )
            store.db.commit()
        with self.assertRaises(AccessDenied):
            self.env["res.users"].authenticate(dict(credential, password="mallory"), {"interactive": True})

    def _rename_fno_user(self, old, new):
        store = self.simulator.store
        with store.lock:
            store.db.execute("DELETE FROM users WHERE unique_id = 'x1'")
            store.db.execute("UPDATE users SET user_name = ? WHERE user_name = ?", (new, old))
            store.db.commit()

    def test_a_pending_sign_in_replaced_by_another_link_is_void(self):
        self._anonymous()
        dev_page = self.url_open(
            self.backend._media_link_url(
                "NW-0042", "dev.patel@northwind.example.com", "Dev", "CADS-MEDIA-DVD"
            )
        )
        # another member's genuine link opened in the same browser meanwhile
        self.url_open(
            self.backend._media_link_url("NW-0042", "carla@northwind.example.com", "Carla", "CADS-MEDIA-DVD")
        )
        response = self._confirm_sign_in(dev_page)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.url_open("/my", allow_redirects=False).status_code, 303)  # nobody signed in

    def test_internal_users_do_not_sign_in_through_flexnet(self):
        hank = self.env["res.partner"].search([("flexnet_user_name", "=", "hank@globex.example.com")])
        new_test_user(self.env, "hank_internal", groups="base.group_user", partner_id=hank.id)
        credential = {"type": "password", "login": "hank@globex.example.com", "password": "flexnet"}
        with self.assertRaises(AccessDenied):
            self.env["res.users"].authenticate(credential, {"interactive": True})

    def test_flexnet_is_not_asked_during_the_login_cooldown(self):
        self.addCleanup(lambda: getattr(self.registry, "_login_failures", {}).clear())
        self._anonymous()
        allowed = int(self.env["ir.config_parameter"].sudo().get_param("base.login_cooldown_after", 5))
        calls = self.sim_stats()["calls"].get("authenticateUser", 0)
        for attempt in range(allowed + 5):
            self.url_open(
                "/web/login",
                data={
                    "login": "hank@globex.example.com",
                    "password": f"guess-{attempt}",
                    "csrf_token": self.url_open("/web/login")
                    .text.split('name="csrf_token" value="')[1]
                    .split('"')[0],
                },
            )
        asked = self.sim_stats()["calls"].get("authenticateUser", 0) - calls
        # Odoo's cooldown (base.login_cooldown_after failures) holds FlexNet back too
        self.assertTrue(0 < asked <= allowed, asked)

    def test_the_cooldown_holds_across_server_processes(self):
        """Odoo counts failed logins in each server process: every guess here lands on a process
        that counted nothing yet (as with several workers or servers). The count all processes
        share still holds FlexNet back after Odoo's allowance."""

        def forget():  # what this process counted
            getattr(self.registry, "_login_failures", {}).clear()

        self.addCleanup(forget)
        self._anonymous()
        allowed = int(self.env["ir.config_parameter"].sudo().get_param("base.login_cooldown_after", 5))
        calls = self.sim_stats()["calls"].get("authenticateUser", 0)
        for attempt in range(allowed + 5):
            forget()  # another process answers
            token = self.url_open("/web/login").text.split('name="csrf_token" value="')[1].split('"')[0]
            self.url_open(
                "/web/login",
                data={
                    "login": "hank@globex.example.com",
                    "password": f"guess-{attempt}",
                    "csrf_token": token,
                },
            )
        asked = self.sim_stats()["calls"].get("authenticateUser", 0) - calls
        self.assertTrue(0 < asked <= allowed, asked)
        count = self.env["flexnet.store.login.failure"].sudo().search([])
        self.assertEqual(count.failures, asked)
        # the addresses and their counts are for administrators only
        clerk = new_test_user(
            self.env, "t_count_clerk", groups="base.group_user,sales_team.group_sale_manager"
        )
        with self.assertRaises(AccessError):
            self.env["flexnet.store.login.failure"].with_user(clerk).search([])
        admin = new_test_user(self.env, "t_count_admin", groups="base.group_system")
        self.assertEqual(self.env["flexnet.store.login.failure"].with_user(admin).search([]), count)

    def test_free_kit_order_refuses_a_priced_kit_and_leaves_nothing(self):
        member = self.nw_user
        address = {
            "name": "Dev",
            "street": "1 Dock Road",
            "city": "Bristol",
            "zip": "BS1",
            "country_id": str(self.env.ref("base.uk").id),
            "phone": "+44 117 496 0043",
        }
        Order = self.env["sale.order"].with_user(member)
        orders, partners = self.env["sale.order"].search_count([]), self.env["res.partner"].search_count([])
        with self.assertRaisesRegex(UserError, "order it from the cart"):
            Order._flexnet_order_free_media_kit(self.products["CADS-MEDIA-DVD"], self.website, address, "n1")
        with self.assertRaises(AccessError):  # Northwind is not entitled to SimFlow
            Order._flexnet_order_free_media_kit(self.products["SIMF-MEDIA-USB"], self.website, address, "n1")
        for bad in (
            dict(address, city=" "),
            dict(address, country_id="²"),
            dict(address, country_id="9" * 30),
        ):
            with self.assertRaisesRegex(UserError, "every required field"):
                Order._flexnet_order_free_media_kit(self.products["DVS-MEDIA-DVD"], self.website, bad, "n1")
        self.assertEqual(self.env["sale.order"].search_count([]), orders)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        kit = self.products["DVS-MEDIA-DVD"]
        order = Order._flexnet_order_free_media_kit(kit, self.website, dict(address, name="Dev\x00"), "n1")
        self.assertEqual((order.state, order.amount_total), ("sale", 0))
        # one link, one order: the same link's form posted again (or at the same time) is refused
        with self.assertRaisesRegex(AccessError, "already placed"):
            Order._flexnet_order_free_media_kit(kit, self.website, address, "n1")

    def test_gated_products_are_not_readable_by_other_customers(self):
        cfd = self.products["SIMF-CFD"].product_tmpl_id
        Template = self.env["product.template"]
        self.assertFalse(Template.with_user(self.nw_user).search([("id", "=", cfd.id)]))
        with self.assertRaises(AccessError):
            cfd.with_user(self.nw_user).read(["name", "list_price"])
        with self.assertRaises(AccessError):
            self.products["SIMF-CFD"].with_user(self.nw_user).read(["lst_price"])
        public = self.env.ref("base.public_user")
        self.assertFalse(Template.with_user(public).search([("id", "=", cfd.id)]))
        # the entitled account, and the back office, read it
        self.assertEqual(Template.with_user(self.glx_user).search([("id", "=", cfd.id)]), cfd)
        clerk = new_test_user(self.env, "clerk_products", groups="base.group_user")
        self.assertEqual(Template.with_user(clerk).search([("id", "=", cfd.id)]), cfd)
        self.authenticate("nw_member", "nw_member")
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/website_sale/get_combination_info",
                {
                    "product_template_id": cfd.id,
                    "product_id": self.products["SIMF-CFD"].id,
                    "combination": [],
                    "add_qty": 1,
                },
            )

    def test_link_validity_is_bounded_and_odd_signatures_are_refused(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.backend.media_link_max_age = 7 * 24 * 60
                self.backend.flush_recordset()
        self._anonymous()
        link = self.backend._media_link_url(
            "NW-0042", "dev.patel@northwind.example.com", "Dev", "CADS-MEDIA-DVD"
        )
        response = self.url_open(re.sub(r"sig=[^&]+", "sig=%C3%A9%C3%A9", link))
        self.assertEqual(response.status_code, 403)
        self.assertIn("not genuine", response.text)
