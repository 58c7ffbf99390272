from odoo import fields, models


class MediaType(models.Model):
    """A kind of physical media a site can produce: CD, DVD, Blu-ray, USB."""

    _name = "media.type"
    _description = "Media Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    is_disc = fields.Boolean(default=True, help="Discs get an ISO image; USB media get a folder image.")

    _code_unique = models.Constraint("UNIQUE(code)", "Each media type code exists once.")
