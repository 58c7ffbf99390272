from odoo import fields, models


class MediaLabelTemplate(models.Model):
    """Branding of media labels: logo, colours, layout."""

    _name = "media.label.template"
    _description = "Media Label Template"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    logo = fields.Image(max_width=512, max_height=512)
    color = fields.Char("Main colour", default="#1f4e79", help="CSS colour of the label's band and title.")
    text_color = fields.Char(default="#ffffff")
    layout = fields.Selection(
        [("disc", "Disc (round)"), ("sleeve", "Sleeve (square)")], default="disc", required=True
    )
    footer = fields.Char(help="e.g. copyright line")
