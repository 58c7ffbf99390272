from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    renewal_grace_days = fields.Integer(related="company_id.renewal_grace_days", readonly=False)
    renewal_lapse_days = fields.Integer(related="company_id.renewal_lapse_days", readonly=False)
