from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


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

    def _verify_updated_quantity(self, order_line, product_id, new_qty, uom_id, **kwargs):
        """Every cart change (add, update, whatever the route) checks the entitlements."""
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
        return super()._is_cart_ready() and not (self and self._flexnet_refused_lines())

    def _check_cart_is_ready_to_be_paid(self):
        refused = self._flexnet_refused_lines()
        if refused:
            raise ValidationError(
                self.env._(
                    "Your FlexNet entitlements do not allow: %s. Remove it from the cart to continue.",
                    ", ".join(refused.product_id.mapped("display_name")),
                )
            )
        return super()._check_cart_is_ready_to_be_paid()
