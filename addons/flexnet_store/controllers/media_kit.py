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

        /flexnet/media-kit?backend=ID&account=ACCOUNT&email=EMAIL&name=NAME&part=PART
                          &ts=UNIX_TIME&nonce=RANDOM&sig=HMAC

    ``sig`` is URL-safe Base64 (no padding) of HMAC-SHA256 with the backend's secret over
    ``account, email, name, part, ts, nonce`` joined by newlines. Opening the link never signs
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
            order = request.cart or request.website._create_cart()
            try:
                order._cart_add(product_id=kit.id, quantity=1)
            except (UserError, ValidationError) as exc:
                return friendly_error(str(exc), 403)
            request.session.pop(SESSION_KEY, None)
            return request.redirect("/shop/cart")
        return self._ship_form(member, kit)

    def _ship_form(self, member, kit, error=None, post=None):
        return request.render(
            "flexnet_store.media_kit_ship_form",
            {
                "kit": kit,
                "partner": member,
                "countries": request.env["res.country"].sudo().search([]),
                "error": error,
                "post": post or {},
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
