from odoo import fields, models

# company settings the status of maintenance terms depends on
TERM_STATE_SETTINGS = ("renewal_grace_days", "renewal_lapse_days")


class ResCompany(models.Model):
    _inherit = "res.company"

    renewal_grace_days = fields.Integer(
        "Renewal grace (days)",
        default=30,
        help="Days after the end of maintenance during which it is in grace rather than past due.",
    )
    renewal_lapse_days = fields.Integer(
        "Maintenance lapses after (days)",
        default=365,
        help="Days after the end of maintenance after which an unrenewed term counts as lapsed.",
    )

    _renewal_days_positive = models.Constraint(
        "CHECK(renewal_grace_days >= 0 AND renewal_lapse_days > renewal_grace_days)",
        "The grace period cannot be negative and must end before maintenance lapses.",
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
