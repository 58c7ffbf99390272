from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    renewal_lapse_days = fields.Integer(related="company_id.renewal_lapse_days", readonly=False)
