from odoo import fields, models

from odoo.addons.flexnet_sync.models.res_partner import ACCOUNT_TYPES


class MaintenanceRenewalAccountType(models.Model):
    """The FlexNet account types, as records a campaign can target several of."""

    _name = "maintenance.renewal.account.type"
    _description = "FlexNet Account Type (renewals)"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(ACCOUNT_TYPES, required=True)
    sequence = fields.Integer(default=10)

    _code_unique = models.Constraint("UNIQUE(code)", "Each FlexNet account type appears once.")
