"""The rules behind the media-kit and sign-on routes, tested on the model methods the
controllers call (test_store.py drives the same rules over HTTP)."""

import time
from urllib.parse import parse_qsl, urlsplit

from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase
from odoo.tools import mute_logger

from ..models.flexnet_backend import LinkRefused
from .common import FlexnetStoreMixin

ADDRESS = {
    "name": "Dev Patel",
    "street": "1 Dock Road",
    "city": "Bristol",
    "zip": "BS1 1AA",
    "phone": "+44 117 496 0043",
}


@tagged("post_install", "-at_install")
class TestMediaKitRules(FlexnetStoreMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.public = cls.env.ref("base.public_user")
        cls.address = dict(ADDRESS, country_id=str(cls.env.ref("base.uk").id))

    def _params(self, **overrides):
        return dict(parse_qsl(urlsplit(self._media_link(**overrides)).query))

    def _open(self, params):
        """As the link route does it: a visitor not signed in, the backend as superuser."""
        return self.backend.with_user(self.public).sudo()._media_link_open(params)

    def _assert_link_refused(self, params, text, status=403):
        with self.assertRaises(LinkRefused) as caught:
            self._open(params)
        self.assertIn(text, str(caught.exception))
        self.assertEqual(caught.exception.status, status)

    def _order(self, user, kit, nonce, address=None):
        return (
            self.env["sale.order"]
            .with_user(user)
            ._flexnet_order_free_media_kit(
                kit, self.website, self.address if address is None else address, nonce
            )
        )

    def _counts(self):
        return self.env["sale.order"].search_count([]), self.env["res.partner"].search_count([])

    # --- the link ----------------------------------------------------------------------------

    def test_a_genuine_link_opens_once_for_its_member_and_kit(self):
        params = self._params()
        member, kit = self._open(params)
        self.assertEqual(member, self.nw_user.partner_id)
        self.assertEqual(kit, self.products["CADS-MEDIA-DVD"])
        self._assert_link_refused(params, "already used")

    def test_an_expired_or_future_link_is_refused(self):
        self.assertEqual(self.backend.media_link_max_age, 10)
        for ts in (int(time.time()) - 11 * 60, int(time.time()) + 3600):
            with self.subTest(ts=ts):
                self._assert_link_refused(self._params(ts=ts), "expired")

    def test_a_forged_link_is_refused_and_spends_no_nonce(self):
        params = self._params()
        self._assert_link_refused(dict(params, part="DVS-MEDIA-DVD"), "not genuine")
        other_sig = params["sig"][:-1] + ("B" if params["sig"].endswith("A") else "A")
        self._assert_link_refused(dict(params, sig=other_sig), "not genuine")
        self._assert_link_refused(self._params(name="Dev\nPatel"), "not genuine")
        self.assertTrue(self._open(params))  # its nonce is still good

    def test_wrong_account_unknown_kit_and_incomplete_links_are_refused(self):
        # a member of Globex on Northwind's account
        self._assert_link_refused(self._params(email="grace@globex.example.com"), "not a member")
        # Globex is not entitled to CAD Studio media
        self._assert_link_refused(
            self._params(account="GLX-017", email="grace@globex.example.com"), "not entitled"
        )
        self._assert_link_refused(self._params(part="NO-SUCH-KIT"), "not known", 404)
        self._assert_link_refused(self._params(part="CADS-PRO-LIC"), "not known", 404)  # not a kit
        self._assert_link_refused(self._params(account="NO-SUCH"), "not known", 404)
        params = self._params()
        for missing in ("account", "email", "part", "nonce", "sig"):
            with self.subTest(missing=missing):
                self._assert_link_refused(dict(params, **{missing: ""}), "incomplete", 400)
        self._assert_link_refused(dict(params, ts="soon"), "incomplete", 400)

    # --- the free order ----------------------------------------------------------------------

    def test_the_member_of_a_link_orders_its_free_kit_once(self):
        params = self._params(part="DVS-MEDIA-DVD")
        member, kit = self._open(params)
        self.assertEqual(member, self.nw_user.partner_id)
        order = self._order(self.nw_user, kit, params["nonce"])
        self.assertEqual((order.state, order.amount_total), ("sale", 0))
        self.assertEqual(order.partner_id, member)
        self.assertEqual(order.order_line.product_id, kit)
        self.assertEqual(order.website_id, self.website)
        shipping = order.partner_shipping_id
        self.assertEqual((shipping.type, shipping.parent_id), ("delivery", self.northwind))
        self.assertEqual((shipping.street, shipping.country_id), ("1 Dock Road", self.env.ref("base.uk")))
        counts = self._counts()
        # one link, one order
        with self.assertRaisesRegex(AccessError, "already placed"):
            self._order(self.nw_user, kit, params["nonce"])
        self.assertEqual(self._counts(), counts)
        # the next kit shipped to the same address: one delivery address of the account, not two
        again = self._order(self.nw_user, kit, self._params(part="DVS-MEDIA-DVD")["nonce"])
        self.assertEqual(again.partner_shipping_id, shipping)

    def test_a_kit_of_another_account_or_not_entitled_is_refused(self):
        counts = self._counts()
        dvs_kit, simflow_kit = self.products["DVS-MEDIA-DVD"], self.products["SIMF-MEDIA-USB"]
        for user, kit in ((self.glx_user, dvs_kit), (self.nw_user, simflow_kit)):
            with self.subTest(user=user.login, kit=kit.default_code):
                with self.assertRaisesRegex(AccessError, "entitlements do not allow"):
                    self._order(user, kit, f"n-{user.id}")
        # a website without gating does not open other accounts' kits
        self.website.flexnet_gating = False
        with self.assertRaisesRegex(AccessError, "entitlements do not allow"):
            self._order(self.glx_user, dvs_kit, "n-gating-off")
        self.assertEqual(self._counts(), counts)
        # the entitled accounts get them
        self.assertEqual(self._order(self.glx_user, simflow_kit, "n-glx").state, "sale")

    def test_only_a_signed_in_member_orders_only_a_kit_for_sale(self):
        counts = self._counts()
        kit = self.products["DVS-MEDIA-DVD"]
        with self.assertRaises(AccessError):
            self._order(self.public, kit, "n1")
        with self.assertRaises(AccessError):  # a license, not a media kit
            self._order(self.nw_user, self.products["DVS-LIC"], "n2")
        with self.assertRaises(AccessError):
            self._order(self.nw_user, self.env["product.product"], "n3")
        kit.sale_ok = False
        with self.assertRaises(AccessError):
            self._order(self.nw_user, kit, "n4")
        self.assertEqual(self._counts(), counts)

    def test_a_kit_is_free_when_its_price_for_the_member_is_zero(self):
        Order = self.env["sale.order"].with_user(self.nw_user)
        priced, free = self.products["CADS-MEDIA-DVD"], self.products["DVS-MEDIA-DVD"]
        self.assertFalse(Order._flexnet_media_kit_is_free(priced))
        self.assertTrue(Order._flexnet_media_kit_is_free(free))
        # a pricelist that gives the priced kit away makes it free, and its order goes through
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Kits given away",
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": priced.id,
                            "compute_price": "fixed",
                            "fixed_price": 0.0,
                        }
                    )
                ],
            }
        )
        self.assertTrue(Order._flexnet_media_kit_is_free(priced, pricelist))
        self.assertFalse(Order._flexnet_media_kit_is_free(free, self._priced_pricelist(free)))

    def _priced_pricelist(self, kit):
        return self.env["product.pricelist"].create(
            {
                "name": "Kits at a price",
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": kit.id,
                            "compute_price": "fixed",
                            "fixed_price": 12.0,
                        }
                    )
                ],
            }
        )

    def test_a_priced_kit_or_an_incomplete_address_leaves_nothing(self):
        counts = self._counts()
        with self.assertRaisesRegex(UserError, "order it from the cart"):
            self._order(self.nw_user, self.products["CADS-MEDIA-DVD"], "n1")
        for bad in (dict(self.address, street=""), dict(self.address, country_id="0"), {}):
            with self.subTest(address=bad), self.assertRaisesRegex(UserError, "every required field"):
                self._order(self.nw_user, self.products["DVS-MEDIA-DVD"], "n1", bad)
        self.assertEqual(self._counts(), counts)
        # the refusals spent no nonce: the link still places its order
        self.assertEqual(self._order(self.nw_user, self.products["DVS-MEDIA-DVD"], "n1").state, "sale")


@tagged("post_install", "-at_install")
class TestSignOnRules(FlexnetStoreMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the sign-on route runs as the visitor, not signed in, with the users model as superuser
        cls.Users = cls.env["res.users"].with_user(cls.env.ref("base.public_user")).sudo()
        cls.carla = cls.env["res.partner"].search([("flexnet_user_name", "=", "carla@northwind.example.com")])

    def _token(self, user="carla@northwind.example.com"):
        return self.client().get_secure_token(user, timeout_seconds=120)

    def _assert_refused(self, token, user, text, status):
        with self.assertRaises(LinkRefused) as caught:
            self.Users._flexnet_sso_member(token, user)
        self.assertIn(text, str(caught.exception))
        self.assertEqual(caught.exception.status, status)

    def test_a_token_names_its_member_once(self):
        token = self._token()
        self.assertEqual(self.Users._flexnet_sso_member(token, "carla@northwind.example.com"), self.carla)
        with mute_logger("odoo.addons.flexnet_store.models.res_users"):
            self._assert_refused(token, "carla@northwind.example.com", "not valid", 403)

    def test_tampered_foreign_and_unknown_are_refused_alike(self):
        carla = "carla@northwind.example.com"
        token = self._token()
        with mute_logger("odoo.addons.flexnet_store.models.res_users"):
            self._assert_refused(token[:-2] + "xx", carla, "not valid", 403)
            # Dev's token does not sign Carla in
            self._assert_refused(self._token("dev.patel@northwind.example.com"), carla, "not valid", 403)
            # nobody learns who is a member: an unknown user gets the same answer
            self._assert_refused(token, "nobody@example.com", "not valid", 403)
        self.assertEqual(self.Users._flexnet_sso_member(token, carla), self.carla)  # still unused

    def test_incomplete_hand_offs_are_refused(self):
        token = self._token()
        for bad_token, user in (
            (None, "carla@northwind.example.com"),
            ("", "carla@northwind.example.com"),
            (token, ""),
            (token, "carla@northwind.example.com\n"),
            ([token], "carla@northwind.example.com"),
        ):
            with self.subTest(token=bad_token, user=user):
                self._assert_refused(bad_token, user, "incomplete", 400)

    def test_flexnet_down_is_a_temporary_refusal(self):
        token = self._token()
        self.sim_arm("validateToken", "http503", count=10)
        with mute_logger("odoo.addons.flexnet_store.models.res_users"):
            self._assert_refused(token, "carla@northwind.example.com", "try again later", 503)

    def test_the_session_proof_provisions_a_portal_user_and_works_once(self):
        hank = self.env["res.partner"].search([("flexnet_user_name", "=", "hank@globex.example.com")])
        self.assertFalse(self.env["res.users"].search([("partner_id", "=", hank.id)]))
        login, proof = self.Users._flexnet_session_proof(hank)
        user = self.env["res.users"].search([("partner_id", "=", hank.id)])
        self.assertTrue(user._is_portal())
        self.assertEqual(login, user.login)
        credential = {"type": "flexnet_proof", "login": login, "proof": proof}
        self.assertEqual(
            self.env["res.users"].authenticate(credential, {"interactive": False})["uid"], user.id
        )
        with self.assertRaises(AccessDenied):  # single use
            self.env["res.users"].authenticate(credential, {"interactive": False})
        with self.assertRaises(AccessDenied):
            self.env["res.users"].authenticate(dict(credential, proof="guess"), {"interactive": False})
        # the same user the next time
        self.assertEqual(self.Users._flexnet_session_proof(hank)[0], login)

    def test_disabled_and_internal_users_get_no_proof(self):
        sue = self.env["res.partner"].search([("flexnet_user_name", "=", "sue@summit-partners.example.com")])
        new_test_user(self.env, "t_sue_internal", groups="base.group_user", partner_id=sue.id)
        with self.assertRaises(AccessDenied):
            self.Users._flexnet_session_proof(sue)
        self.assertTrue(self.Users._flexnet_session_proof(self.nw_user.partner_id))
        self.nw_user.active = False
        with self.assertRaises(AccessDenied):
            self.Users._flexnet_session_proof(self.nw_user.partner_id)
