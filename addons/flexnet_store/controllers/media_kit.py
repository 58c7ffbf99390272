import time

from odoo import http
from odoo.exceptions import AccessDenied, AccessError, UserError, ValidationError
from odoo.http import request

from ..models.flexnet_backend import LinkRefused
from ..models.sale_order import ShipToIncomplete
from .sign_on import friendly_error, pending_sign_in

SESSION_KEY = "flexnet_media_kit"
PENDING_SECONDS = 3600


class FlexnetMediaKit(http.Controller):
    """The 'purchase media kit' button of FlexNet's download page lands here.

    URL template (Sales ▸ FlexNet ▸ Backends ▸ copy link template)::

        /flexnet/media-kit?backend=ID&account=ACCOUNT&email=USER&name=NAME&item=PARTNER_PRODUCT_ID
                          &ts=UNIX_TIME&nonce=RANDOM&sig=HMAC

    What FlexNet's download page knows: the account, the user (user name or e-mail) and the
    partner product ID of the item being downloaded, which the shop maps to its media kit
    (``flexnet_esd_item``). ``sig`` is URL-safe Base64 (no padding) of HMAC-SHA256 with the
    backend's secret over ``account, email, name, part, ts, nonce, item`` joined by newlines
    (``part`` empty). A link may instead name the kit's own part number in ``part`` and carry
    no ``item`` (then the message ends with ``nonce``). Opening the link never signs
    anyone in by itself: a visitor who is not signed in confirms who they are on a form first
    (a link sent to someone else cannot sign that person's browser into the sender's account).
    """

    @http.route(
        "/flexnet/media-kit", type="http", auth="public", website=True, sitemap=False, methods=["GET"]
    )
    def media_kit_link(self, **params):
        env = request.env
        try:
            backend = env["flexnet.backend"].sudo().browse(int(params.get("backend") or 0)).exists()
        except ValueError:
            backend = None
        if not backend:
            return friendly_error(env._("This media-kit link is incomplete."))
        try:
            member, kit = backend._media_link_open(params)
        except LinkRefused as exc:
            return friendly_error(str(exc), exc.status)
        request.session[SESSION_KEY] = {
            "member": member.id,
            "kit": kit.id,
            "at": time.time(),
            "nonce": params["nonce"][:128],
        }
        if env.user._is_public():
            return pending_sign_in(member, "/flexnet/media-kit/continue", kit=kit)
        if env.user.partner_id != member:
            return friendly_error(
                env._("You are signed in as someone else. Sign out and use the link again."), 403
            )
        return request.redirect("/flexnet/media-kit/continue")

    def _pending(self):
        """(member, kit, link nonce) of the link this session opened, or Nones."""
        data = request.session.get(SESSION_KEY) or {}
        env = request.env
        if not data or time.time() - data.get("at", 0) > PENDING_SECONDS:
            return None, None, None
        member = env.user.partner_id
        if member.id != data.get("member") or not data.get("nonce"):
            return None, None, None
        kit = env["product.product"].browse(data["kit"]).exists()
        return member, kit, data["nonce"]

    @http.route("/flexnet/media-kit/continue", type="http", auth="user", website=True, sitemap=False)
    def media_kit_continue(self, **kwargs):
        member, kit, _nonce = self._pending()
        if not kit:
            return friendly_error(request.env._("Nothing to order: open the media-kit link again."))
        if not request.env["sale.order"]._flexnet_media_kit_is_free(kit, request.pricelist):
            refusal = member._flexnet_shop_refusal("buy")
            if refusal:
                return friendly_error(refusal, 403)
            order = request.cart or request.website._create_cart()
            try:
                order._cart_add(product_id=kit.id, quantity=1)
            except (UserError, ValidationError) as exc:
                return friendly_error(str(exc), 403)
            request.session.pop(SESSION_KEY, None)
            return request.redirect("/shop/cart")
        refusal = member._flexnet_shop_refusal("free_media")
        if refusal:
            return friendly_error(refusal, 403)
        return self._ship_form(member, kit)

    def _ship_form(self, member, kit, error=None, post=None):
        """The ship-to form, prefilled from the member's FlexNet profile and account, or with
        what they posted; the states listed are those of the chosen country."""
        env = request.env
        values = member._flexnet_ship_to_defaults()
        if post:
            values.update({k: v for k, v in post.items() if k in values and isinstance(v, str)})
        country = env["res.country"]
        country_id = str(values.get("country_id") or "")
        if country_id.isascii() and country_id.isdecimal() and len(country_id) < 10:
            country = country.sudo().browse(int(country_id)).exists()
        state_id = str(values.get("state_id") or "")
        values["state_id"] = int(state_id) if state_id.isdecimal() and len(state_id) < 10 else 0
        values["country_id"] = country.id
        return request.render(
            "flexnet_store.media_kit_ship_form",
            {
                "kit": kit,
                "partner": member,
                "countries": env["res.country"].sudo().search([]),
                "states": country.state_ids,
                "error": error,
                "values": values,
            },
        )

    @http.route(
        "/flexnet/media-kit/ship", type="http", auth="user", website=True, sitemap=False, methods=["POST"]
    )
    def media_kit_ship(self, **post):
        member, kit, link_nonce = self._pending()
        env = request.env
        if not kit:
            return friendly_error(env._("Nothing to order: open the media-kit link again."))
        try:
            order = env["sale.order"]._flexnet_order_free_media_kit(kit, request.website, post, link_nonce)
        except ShipToIncomplete as exc:
            return self._ship_form(member, kit, error=str(exc), post=post)
        except (AccessError, AccessDenied, UserError) as exc:
            return friendly_error(str(exc), 403)
        request.session.pop(SESSION_KEY, None)
        return request.render("flexnet_store.media_kit_ordered", {"order": order, "kit": kit})
