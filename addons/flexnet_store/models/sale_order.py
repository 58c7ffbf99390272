from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

SHIP_TO_REQUIRED = ("name", "street", "city", "zip", "country_id", "phone")


class ShipToIncomplete(UserError):
    """The submitted delivery address lacks a required field."""


SHIP_TO_SIZES = {
    "name": 128,
    "street": 128,
    "street2": 128,
    "city": 64,
    "zip": 24,
    "phone": 32,
}


class SaleOrder(models.Model):
    _inherit = "sale.order"

    flexnet_download_url = fields.Char(
        "FlexNet download centre",
        compute="_compute_flexnet_download_url",
        compute_sudo=True,
        help="Where the customer downloads what this order put in FlexNet.",
    )

    @api.depends("flexnet_state", "flexnet_entitlement_id")
    def _compute_flexnet_download_url(self):
        # computed as superuser: customers read this URL, never the backend record
        for order in self:
            backend = order.flexnet_entitlement_id.backend_id
            order.flexnet_download_url = (
                order.flexnet_state == "done" and backend.download_center_url
            ) or False

    def _flexnet_gate_applies(self):
        self.ensure_one()
        return bool(self.website_id) and self.website_id.flexnet_gating

    def _flexnet_refused_lines(self):
        """Shop lines whose product this order's customer may not buy."""
        self.ensure_one()
        if not self._flexnet_gate_applies():
            return self.env["sale.order.line"]
        products = self.order_line.product_id
        allowed = products._flexnet_allowed_for(self.partner_id)
        return self.order_line.filtered(lambda line: line.product_id and line.product_id not in allowed)

    def _flexnet_buyer_refusal(self):
        """Why this shop order's customer may not buy (FlexNet roles), or False."""
        self.ensure_one()
        if not self.website_id:
            return False
        return self.partner_id._flexnet_shop_refusal("buy")

    def _verify_updated_quantity(self, order_line, product_id, new_qty, uom_id, **kwargs):
        """Every cart change (add, update, whatever the route) checks the FlexNet role of the
        buyer and the entitlements."""
        if new_qty > 0:
            refusal = self._flexnet_buyer_refusal()
            if refusal:
                raise UserError(refusal)
        if new_qty > 0 and self._flexnet_gate_applies():
            product = self.env["product.product"].browse(product_id)
            if not product._flexnet_allowed_for(self.partner_id):
                raise UserError(
                    self.env._(
                        "%(product)s is only sold to customers whose FlexNet entitlements allow it.",
                        product=product.display_name,
                    )
                )
        return super()._verify_updated_quantity(order_line, product_id, new_qty, uom_id, **kwargs)

    def _is_cart_ready(self):
        return super()._is_cart_ready() and not (
            self and (self._flexnet_refused_lines() or self._flexnet_buyer_refusal())
        )

    def _check_cart_is_ready_to_be_paid(self):
        refusal = self._flexnet_buyer_refusal()
        if refusal:
            raise ValidationError(refusal)
        refused = self._flexnet_refused_lines()
        if refused:
            raise ValidationError(
                self.env._(
                    "Your FlexNet entitlements do not allow: %s. Remove it from the cart to continue.",
                    ", ".join(refused.product_id.mapped("display_name")),
                )
            )
        return super()._check_cart_is_ready_to_be_paid()

    # --- free media kits ordered from a FlexNet link -------------------------------------------

    @api.model
    def _flexnet_ship_to_values(self, address):
        """Delivery address values from a submitted form; UserError naming what is missing."""
        address = {
            key: value.replace("\x00", "")  # PostgreSQL text takes no NUL
            for key, value in (address or {}).items()
            if isinstance(value, str)
        }
        missing = [key for key in SHIP_TO_REQUIRED if not address.get(key, "").strip()]
        country = self.env["res.country"]
        country_id = address.get("country_id", "").strip()
        if country_id.isascii() and country_id.isdecimal() and len(country_id) < 10:
            country = country.sudo().browse(int(country_id)).exists()
        if missing or not country:
            raise ShipToIncomplete(self.env._("Please fill in every required field of the address."))
        state = self.env["res.country.state"]
        state_id = address.get("state_id", "").strip()
        if state_id.isascii() and state_id.isdecimal() and len(state_id) < 10:
            state = state.sudo().browse(int(state_id)).exists()
        if state and state.country_id != country:
            raise ShipToIncomplete(self.env._("The state or province is not one of %s.", country.name))
        if not state and country.state_required:
            raise ShipToIncomplete(self.env._("Please choose the state or province in %s.", country.name))
        values = {key: address.get(key, "").strip()[:size] for key, size in SHIP_TO_SIZES.items()}
        values["country_id"] = country.id
        values["state_id"] = state.id
        return values

    @api.model
    def _flexnet_media_kit_is_free(self, kit, pricelist=None):
        """Whether ``kit`` costs nothing on ``pricelist`` (the shop's prices for the current
        user): a free kit is shipped at once (:meth:`_flexnet_order_free_media_kit`, which
        checks the order's total again), a priced one goes through the cart and checkout."""
        kit = kit.sudo()
        price = (
            kit.with_context(pricelist=pricelist.id)._get_contextual_price() if pricelist else kit.lst_price
        )
        currency = pricelist.currency_id if pricelist else kit.currency_id
        return currency.is_zero(price)

    def _flexnet_order_free_media_kit(self, kit, website, address, link_nonce):
        """Confirm a free media kit for the signed-in member, shipped to ``address``.

        ``kit`` and ``link_nonce`` come from a media-kit link this member opened
        (``flexnet.backend._media_link_open``). The kit must be a media kit for sale, the
        member's account must be entitled to it (whatever the website's gating) and it must
        cost nothing on the prices the shop gives that member; anything else is refused
        (AccessError, UserError) and leaves no record behind. A priced kit goes through the
        cart and checkout instead. One link (``link_nonce``) places one order, however many
        times or however fast its form is posted. Returns the confirmed order."""
        member = self.env.user.partner_id
        kit = kit.sudo()
        if self.env.user._is_public() or not kit or kit.flexnet_kind != "media_kit" or not kit.sale_ok:
            raise AccessError(self.env._("Only a signed-in FlexNet member orders a media kit."))
        if not kit._flexnet_allowed_for(member):
            raise AccessError(self.env._("Your FlexNet entitlements do not allow this media kit."))
        refusal = member._flexnet_shop_refusal("free_media")
        if refusal:
            raise AccessError(refusal)
        values = self._flexnet_ship_to_values(address)
        Order = self.sudo()
        with self.env.cr.savepoint():
            if not self.env["flexnet.store.nonce"].sudo()._consume(f"order:{link_nonce}"):
                raise AccessError(self.env._("This media-kit link already placed its order."))
            shipping = (
                self.env["res.partner"]
                .sudo()
                .create(
                    dict(
                        values,
                        type="delivery",
                        parent_id=member.commercial_partner_id.id,
                        email=member.email,
                    )
                )
            )
            order = Order.create(
                {
                    "partner_id": member.id,
                    "partner_shipping_id": shipping.id,
                    "website_id": website.id,
                    "origin": self.env._("FlexNet media-kit link"),
                    "order_line": [fields.Command.create({"product_id": kit.id, "product_uom_qty": 1})],
                }
            )
            if order._flexnet_refused_lines():
                raise AccessError(self.env._("Your FlexNet entitlements do not allow this media kit."))
            if not order.currency_id.is_zero(order.amount_total):
                raise UserError(
                    self.env._(
                        "%(kit)s costs %(amount)s: order it from the cart.",
                        kit=kit.display_name,
                        amount=order.amount_total,
                    )
                )
            order.action_confirm()
        return order
