from odoo import fields, models


class MrpBomDocumentDownload(models.Model):
    """One download of a document revision through the vendor portal."""

    _name = "mrp.bom.document.download"
    _description = "BOM Document Download"
    _order = "id desc"
    _log_access = False

    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True, index=True)
    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    vendor_id = fields.Many2one("res.partner", readonly=True, index=True, ondelete="cascade")
    revision_id = fields.Many2one(
        "mrp.bom.document.revision", required=True, readonly=True, ondelete="cascade", index=True
    )
    document_id = fields.Many2one(related="revision_id.document_id", store=True, index=True)
    bom_id = fields.Many2one(related="revision_id.bom_id", store=True)
    company_id = fields.Many2one(related="revision_id.company_id", store=True)
    ip_address = fields.Char("IP address", readonly=True)
    byte_range = fields.Char(readonly=True, help="The part of the file asked for, when not the whole file.")
    via = fields.Selection(
        [("file", "Single file"), ("zip", "All documents (zip)")], default="file", readonly=True
    )
