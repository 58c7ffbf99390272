from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    flexnet_kind = fields.Selection(related="product_id.flexnet_kind")
    flexnet_activation_id = fields.Char("Activation ID", copy=False, readonly=True)
    flexnet_parent_line_id = fields.Many2one(
        "flexnet.entitlement.line",
        "Renews / extends",
        copy=False,
        domain="[('line_type', '=', 'entitlement'), ('partner_id', '=', commercial_partner_id), "
        "('state', 'not in', ['INACTIVE', 'OBSOLETE', 'REMOVED'])]",
        help="The entitlement line that this maintenance renews or these seats extend: they are added to "
        "its entitlement in FlexNet.",
    )
    commercial_partner_id = fields.Many2one(related="order_id.partner_id.commercial_partner_id")
    flexnet_entitlement_line_id = fields.Many2one("flexnet.entitlement.line", copy=False, readonly=True)
