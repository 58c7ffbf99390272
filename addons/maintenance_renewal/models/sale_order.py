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

    def _renewal_refresh(self):
        """Terms renewed (or no longer) by these orders follow their state at once."""
        lines = self._renewal_lines()
        entitlement_lines = lines.renewal_term_id.line_id | lines.flexnet_parent_line_id
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
            # the pushed maintenance moved the end of the lines it renews: new terms start
            self._renewal_refresh()
        return result
