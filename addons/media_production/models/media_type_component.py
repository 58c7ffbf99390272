from odoo import fields, models


class MediaTypeComponent(models.Model):
    _name = "media.type.component"
    _description = "Media Kit Component"
    _order = "media_type_id, sequence, id"

    media_type_id = fields.Many2one("media.type", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    product_id = fields.Many2one("product.product", "Component", required=True)
    product_qty = fields.Float("Quantity", default=1.0, required=True, digits="Product Unit")
