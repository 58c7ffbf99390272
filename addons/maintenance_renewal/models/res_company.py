from odoo import fields, models

# company settings the status of maintenance terms depends on (the grace is flexnet_sync's:
# the one definition of past due, which the portal shows too)
TERM_STATE_SETTINGS = ("maintenance_grace_days", "renewal_lapse_days")


class ResCompany(models.Model):
    _inherit = "res.company"

    renewal_lapse_days = fields.Integer(
        "Maintenance lapses after (days)",
        default=365,
        help="Days after the end of maintenance after which an unrenewed term counts as lapsed.",
    )

    _renewal_days_positive = models.Constraint(
        "CHECK(renewal_lapse_days > maintenance_grace_days)",
        "Maintenance must lapse after its grace period ends.",
    )

    def write(self, vals):
        changed = any(
            field in vals and company[field] != vals[field]
            for company in self
            for field in TERM_STATE_SETTINGS
        )
        result = super().write(vals)
        if changed:  # terms in grace, past due or lapsed follow the new periods at once
            self.env["maintenance.renewal.term"].sudo()._refresh()
        return result
