from odoo import models


class FlexnetEntitlementLine(models.Model):
    _inherit = "flexnet.entitlement.line"

    def unlink(self):
        # their terms go with them (ON DELETE CASCADE): their accounts' overdue figures follow
        accounts = self.env["maintenance.renewal.term"]._accounts_of_lines(self.ids)
        res = super().unlink()
        self.env["res.partner"].sudo()._renewal_update_overdue(accounts)
        return res
