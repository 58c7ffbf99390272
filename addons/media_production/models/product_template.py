from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    media_type_id = fields.Many2one(
        "media.type", "Media type", help="For media kits: what the kit is made of."
    )
