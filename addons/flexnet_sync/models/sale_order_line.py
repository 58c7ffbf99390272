from odoo import api, fields, models


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
    flexnet_renews_from = fields.Date(
        "Renews maintenance ending",
        compute="_compute_flexnet_renews_from",
        store=True,
        precompute=True,
        copy=False,
        readonly=True,
        help="The end of the renewed line's maintenance when it was chosen. If FlexNet has extended that "
        "maintenance beyond this date by the time the order is sent (another order renewed it meanwhile), "
        "the order is not sent and the salesperson is told, rather than extending it twice.",
    )
    commercial_partner_id = fields.Many2one(related="order_id.partner_id.commercial_partner_id")
    flexnet_entitlement_line_id = fields.Many2one("flexnet.entitlement.line", copy=False, readonly=True)

    @api.depends("flexnet_parent_line_id")
    def _compute_flexnet_renews_from(self):
        # a snapshot: it depends on the line chosen, not on that line's later maintenance end
        for line in self:
            line.flexnet_renews_from = line.flexnet_parent_line_id.sudo().maintenance_end or False
