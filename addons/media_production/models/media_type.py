from odoo import api, fields, models


class MediaType(models.Model):
    """A kind of physical media a site can produce: CD, DVD, Blu-ray, USB."""

    _name = "media.type"
    _description = "Media Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    is_disc = fields.Boolean(default=True, help="Discs get an ISO image; USB media get a folder image.")
    requires_verification = fields.Boolean(
        "Discs must be verified",
        compute="_compute_requires_verification",
        store=True,
        readonly=False,
        help="A station reports each copy with its serial and its read-back verification against "
        "the image; a success report without them, or with a copy that failed verification, is "
        "refused. On by default for disc media.",
    )
    component_ids = fields.One2many(
        "media.type.component",
        "media_type_id",
        "Kit components",
        help="Blank media, case, insert, label stock: the bill of materials of a new media kit.",
    )

    _code_unique = models.Constraint("UNIQUE(code)", "Each media type code exists once.")

    @api.depends("is_disc")
    def _compute_requires_verification(self):
        for media_type in self:
            media_type.requires_verification = media_type.is_disc

    def _from_part_number(self, part_number):
        """The media type a part number ends with (e.g. CADS-MEDIA-DVD), if any."""
        suffix = (part_number or "").rsplit("-", 1)[-1].lower()
        return self.search([("code", "=", suffix)], limit=1) if suffix else self.browse()
