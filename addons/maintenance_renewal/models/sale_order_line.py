from odoo import api, fields, models

from .maintenance_renewal_term import OPEN_STATES


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    renewal_term_id = fields.Many2one(
        "maintenance.renewal.term",
        "Renews maintenance term",
        compute="_compute_renewal_term_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        copy=False,
        ondelete="set null",
        help="The maintenance term this line renews: set by renewal campaigns, or found from the "
        "entitlement line a maintenance line renews.",
    )

    @api.depends("flexnet_parent_line_id", "product_id")
    def _compute_renewal_term_id(self):
        lines = self.filtered(
            lambda sol: sol.flexnet_parent_line_id and sol.product_id.flexnet_kind == "maintenance"
        )
        terms = (
            self.env["maintenance.renewal.term"]
            .sudo()
            .search(
                [("line_id", "in", lines.flexnet_parent_line_id.ids), ("state", "in", OPEN_STATES)],
                order="date_end",
            )
        )
        latest = {term.line_id: term for term in terms}
        for line in self:
            line.renewal_term_id = latest.get(line.flexnet_parent_line_id, False) if line in lines else False
