from odoo import api, fields, models
from odoo.exceptions import ValidationError

DOCUMENT_TYPES = [
    ("specification", "Specification"),
    ("artwork", "Artwork / graphics"),
    ("pdf", "PDF"),
    ("iso", "ISO image"),
    ("other", "Other"),
]


class MrpBomDocument(models.Model):
    """A document of a BOM (or of one of its components), kept as revisions."""

    _name = "mrp.bom.document"
    _description = "BOM Document"
    _inherit = ["mail.thread"]
    _order = "bom_id, bom_line_id, sequence, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    bom_id = fields.Many2one("mrp.bom", "BOM", required=True, ondelete="cascade", index=True)
    bom_line_id = fields.Many2one(
        "mrp.bom.line",
        "Component",
        ondelete="cascade",
        domain="[('bom_id', '=', bom_id)]",
        help="Leave empty for a document of the whole BOM.",
    )
    component_id = fields.Many2one(related="bom_line_id.product_id")
    company_id = fields.Many2one(related="bom_id.company_id", store=True, index=True)
    document_type = fields.Selection(DOCUMENT_TYPES, "Type", required=True, default="specification")
    description = fields.Text()
    revision_ids = fields.One2many("mrp.bom.document.revision", "document_id", "Revisions")
    current_revision_id = fields.Many2one(
        "mrp.bom.document.revision",
        "Current revision",
        compute="_compute_current_revision_id",
        store=True,
        help="The latest released revision: what vendors download by default.",
    )
    current_revision_name = fields.Char(related="current_revision_id.name", string="Revision")
    download_count = fields.Integer(compute="_compute_download_count")

    @api.constrains("bom_line_id", "bom_id")
    def _check_bom_line_id(self):
        for document in self:
            if document.bom_line_id and document.bom_line_id.bom_id != document.bom_id:
                raise ValidationError(
                    self.env._(
                        "The component of document %(document)s belongs to another BOM.",
                        document=document.name,
                    )
                )

    @api.depends("revision_ids.state", "revision_ids.effective_date")
    def _compute_current_revision_id(self):
        for document in self:
            released = document.revision_ids.filtered(lambda r: r.state == "released")
            document.current_revision_id = (
                released.sorted(lambda r: (r.effective_date or fields.Date.today(), r.id))[-1:]
                if released
                else False
            )

    def _compute_download_count(self):
        counts = dict(
            self.env["mrp.bom.document.download"]
            .sudo()
            ._read_group([("document_id", "in", self.ids)], ["document_id"], ["__count"])
        )
        for document in self:
            document.download_count = counts.get(document, 0)

    def action_view_downloads(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "bom_vendor_portal.mrp_bom_document_download_action"
        )
        action["domain"] = [("document_id", "=", self.id)]
        return action
