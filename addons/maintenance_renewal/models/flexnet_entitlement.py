from odoo import models


class FlexnetEntitlement(models.Model):
    _inherit = "flexnet.entitlement"

    def unlink(self):
        # their lines and the lines' terms go with them (ON DELETE CASCADE): their accounts'
        # overdue figures follow
        lines = self.env["flexnet.entitlement.line"].sudo().search([("entitlement_id", "in", self.ids)])
        accounts = self.env["maintenance.renewal.term"]._accounts_of_lines(lines.ids)
        res = super().unlink()
        self.env["res.partner"].sudo()._renewal_update_overdue(accounts)
        return res
