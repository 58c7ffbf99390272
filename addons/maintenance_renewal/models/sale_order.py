from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    renewal_campaign_id = fields.Many2one(
        "maintenance.renewal.campaign",
        "Renewal campaign",
        index="btree_not_null",
        readonly=True,
        copy=False,
        ondelete="set null",
    )

    def _renewal_lines(self):
        return self.order_line.filtered(lambda line: line.renewal_term_id or line.flexnet_parent_line_id)

    def _renewal_refresh(self, entitlement_lines=None):
        """Refresh the terms these orders renew (and ``entitlement_lines``): a confirmed order
        renews its terms, a cancelled one no longer does."""
        lines = self.sudo()._renewal_lines()
        entitlement_lines = (
            lines.renewal_term_id.line_id
            | lines.flexnet_parent_line_id
            | (entitlement_lines or self.env["flexnet.entitlement.line"])
        )
        if entitlement_lines:
            self.env["maintenance.renewal.term"].sudo()._refresh(line_ids=entitlement_lines.ids)

    def action_confirm(self):
        result = super().action_confirm()
        self._renewal_refresh()
        return result

    def _action_cancel(self):
        result = super()._action_cancel()
        self._renewal_refresh()
        return result

    def _flexnet_push_entitlement(self):
        result = super()._flexnet_push_entitlement()
        if self.flexnet_state == "done":
            # FlexNet stored the order's entitlement (new lines with maintenance) and moved the
            # end of the lines it renews: their terms follow at once
            self._renewal_refresh(self.sudo().flexnet_entitlement_id.line_ids)
        return result
