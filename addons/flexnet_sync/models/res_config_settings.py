from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    maintenance_grace_days = fields.Integer(related="company_id.maintenance_grace_days", readonly=False)
