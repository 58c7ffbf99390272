from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    maintenance_grace_days = fields.Integer(
        "Maintenance grace (days)",
        default=30,
        help="Days after the end of maintenance during which it is in grace; after them it is "
        "past due. The one definition of past due, on the portal and on every manager screen.",
    )

    _maintenance_grace_days_positive = models.Constraint(
        "CHECK(maintenance_grace_days >= 0)", "The maintenance grace period cannot be negative."
    )
