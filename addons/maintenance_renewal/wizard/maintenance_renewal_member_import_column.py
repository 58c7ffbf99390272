from odoo import fields, models

from .maintenance_renewal_member_import import TARGETS


class MaintenanceRenewalMemberImportColumn(models.TransientModel):
    _name = "maintenance.renewal.member.import.column"
    _description = "Reporter CSV Column Mapping"
    _order = "sequence"

    wizard_id = fields.Many2one("maintenance.renewal.member.import", required=True, ondelete="cascade")
    sequence = fields.Integer("Column", readonly=True)
    header = fields.Char(readonly=True)
    sample = fields.Char("Sample values", readonly=True)
    target = fields.Selection(TARGETS, "Import as", required=True, default="ignore")

    def _target_label(self):
        return dict(TARGETS).get(self.target, self.target)
