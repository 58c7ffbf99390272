import hmac
import logging
import time

from odoo import fields, http
from odoo.exceptions import AccessDenied, UserError, ValidationError
from odoo.http import request

from .sign_on import friendly_error, login_member

_logger = logging.getLogger(__name__)
SESSION_KEY = "flexnet_media_kit"


class FlexnetMediaKit(http.Controller):
    """The 'purchase media kit' button of FlexNet's download page lands here.

    URL template (Sales ▸ FlexNet ▸ Backends ▸ copy link template)::

        /flexnet/media-kit?backend=ID&account=ACCOUNT&email=EMAIL&name=NAME&part=PART
                          &ts=UNIX_TIME&nonce=RANDOM&sig=HMAC

    ``sig`` is URL-safe Base64 (no padding) of HMAC-SHA256 with the backend's secret over
    ``account, email, name, part, ts, nonce`` joined by newlines.
    """

    @http.route(
        "/flexnet/media-kit", type="http", auth="public", website=True, sitemap=False, methods=["GET"]
    )
    def media_kit_link(self, **params):
        env = request.env
        try:
            backend = env["flexnet.backend"].sudo().browse(int(params.get("backend") or 0)).exists()
            timestamp = int(params.get("ts") or 0)
        except ValueError:
            backend, timestamp = None, 0
        if not backend or not all(params.get(k) for k in ("account", "email", "part", "nonce", "sig")):
            return friendly_error(env._("This media-kit link is incomplete."))
        expected = backend._media_link_signature(params)
        if not hmac.compare_digest(expected, params["sig"]):
            _logger.info("media-kit link with a bad signature for account %s", params.get("account"))
            return friendly_error(env._("This media-kit link is not genuine."), 403)
        age = time.time() - timestamp
        if age > backend.media_link_max_age * 60 or age < -60:
            return friendly_error(
                env._("This media-kit link has expired. Start again from the download page."), 403
            )
        if not env["flexnet.store.nonce"].sudo()._consume(params["nonce"]):
            return friendly_error(
                env._("This media-kit link was already used. Start again from the download page."), 403
            )
        account = (
            env["res.partner"]
            .sudo()
            .search(
                [("flexnet_backend_id", "=", backend.id), ("flexnet_account_id", "=", params["account"])],
                limit=1,
            )
        )
        kit = (
            env["product.product"]
            .sudo()
            .search(
                [
                    ("default_code", "=", params["part"]),
                    ("flexnet_kind", "=", "media_kit"),
                    ("sale_ok", "=", True),
                ],
                limit=1,
            )
        )
        if not account or not kit:
            return friendly_error(env._("This media kit or account is not known to the shop."), 404)
        if not kit._flexnet_allowed_for(account):
            return friendly_error(
                env._(
                    "Account %(account)s is not entitled to %(kit)s.",
                    account=params["account"],
                    kit=kit.display_name,
                ),
                403,
            )
        member = env["res.users"].sudo()._flexnet_member(params["email"])
        if not member or member.commercial_partner_id != account:
            return friendly_error(env._("%s is not a member of this FlexNet account.", params["email"]), 403)
        request.session[SESSION_KEY] = {"member": member.id, "kit": kit.id, "at": time.time()}
        user = env.user
        if user._is_public():
            # the signed link vouches for the member: sign them in
            try:
                login_member(member)
            except AccessDenied as exc:
                return friendly_error(str(exc), 403)
        elif user.partner_id != member:
            return friendly_error(
                env._("You are signed in as someone else. Sign out and use the link again."), 403
            )
        return request.redirect("/flexnet/media-kit/continue")

    def _pending(self):
        data = request.session.get(SESSION_KEY) or {}
        env = request.env
        if not data or time.time() - data.get("at", 0) > 3600:
            return None, None
        member = env.user.partner_id
        if member.id != data.get("member"):
            return None, None
        kit = env["product.product"].browse(data["kit"]).exists()
        return member, kit

    @http.route("/flexnet/media-kit/continue", type="http", auth="user", website=True, sitemap=False)
    def media_kit_continue(self, **kwargs):
        member, kit = self._pending()
        if not kit:
            return friendly_error(request.env._("Nothing to order: open the media-kit link again."))
        price = (
            kit.with_context(pricelist=request.pricelist.id)._get_contextual_price()
            if request.pricelist
            else kit.lst_price
        )
        if price:
            order = request.cart or request.website._create_cart()
            try:
                order._cart_add(product_id=kit.id, quantity=1)
            except (UserError, ValidationError) as exc:
                return friendly_error(str(exc), 403)
            request.session.pop(SESSION_KEY, None)
            return request.redirect("/shop/cart")
        return request.render(
            "flexnet_store.media_kit_ship_form",
            {"kit": kit, "partner": member, "countries": request.env["res.country"].sudo().search([])},
        )

    @http.route(
        "/flexnet/media-kit/ship", type="http", auth="user", website=True, sitemap=False, methods=["POST"]
    )
    def media_kit_ship(self, **post):
        member, kit = self._pending()
        env = request.env
        if not kit:
            return friendly_error(env._("Nothing to order: open the media-kit link again."))
        required = ("name", "street", "city", "zip", "country_id")
        missing = [field for field in required if not (post.get(field) or "").strip()]
        try:
            country = env["res.country"].sudo().browse(int(post.get("country_id") or 0)).exists()
        except ValueError:
            country = None
        if missing or not country:
            return request.render(
                "flexnet_store.media_kit_ship_form",
                {
                    "kit": kit,
                    "partner": member,
                    "countries": env["res.country"].sudo().search([]),
                    "error": env._("Please fill in every field of the address."),
                    "post": post,
                },
            )
        account = member.commercial_partner_id
        shipping = (
            env["res.partner"]
            .sudo()
            .create(
                {
                    "type": "delivery",
                    "parent_id": account.id,
                    "name": post["name"].strip()[:128],
                    "street": post["street"].strip()[:128],
                    "street2": (post.get("street2") or "").strip()[:128],
                    "city": post["city"].strip()[:64],
                    "zip": post["zip"].strip()[:24],
                    "country_id": country.id,
                    "email": member.email,
                }
            )
        )
        order = (
            env["sale.order"]
            .sudo()
            .create(
                {
                    "partner_id": member.id,
                    "partner_shipping_id": shipping.id,
                    "website_id": request.website.id,
                    "origin": env._("FlexNet media-kit link"),
                    "order_line": [
                        fields.Command.create({"product_id": kit.id, "product_uom_qty": 1, "price_unit": 0.0})
                    ],
                }
            )
        )
        refused = order._flexnet_refused_lines()
        if refused:
            order.unlink()
            return friendly_error(env._("Your FlexNet entitlements do not allow this media kit."), 403)
        order.action_confirm()
        request.session.pop(SESSION_KEY, None)
        return request.render("flexnet_store.media_kit_ordered", {"order": order, "kit": kit})
