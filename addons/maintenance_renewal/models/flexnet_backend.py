from odoo import models


class FlexnetBackend(models.Model):
    _inherit = "flexnet.backend"

    def write(self, vals):
        changed = "expiring_days" in vals and any(b.expiring_days != vals["expiring_days"] for b in self)
        result = super().write(vals)
        if changed:  # which terms are expiring follows at once
            self.env["maintenance.renewal.term"].sudo()._refresh()
        return result
