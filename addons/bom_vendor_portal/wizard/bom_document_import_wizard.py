import os

from odoo import api, fields, models
from odoo.exceptions import UserError


class BomDocumentImportWizard(models.TransientModel):
    """Take a large file (an ISO image) from the server's import folder into a draft revision."""

    _name = "bom.document.import.wizard"
    _description = "Import a BOM Document File from the Server"

    revision_id = fields.Many2one("mrp.bom.document.revision", required=True, ondelete="cascade")
    file_name = fields.Selection(selection="_selection_file_name", string="File", required=True)

    @api.model
    def _selection_file_name(self):
        try:
            root = self.env["mrp.bom.document.revision"]._import_root()
        except UserError:
            return []
        if not os.path.isdir(root):
            return []
        names = sorted(
            name
            for name in os.listdir(root)
            if os.path.isfile(os.path.join(root, name)) and not name.startswith(".")
        )
        return [(name, name) for name in names]

    def action_import(self):
        self.ensure_one()
        self.revision_id._import_file_from_server(self.file_name)
        return {"type": "ir.actions.act_window_close"}
