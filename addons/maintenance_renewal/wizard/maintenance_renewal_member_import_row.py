from odoo import fields, models


class MaintenanceRenewalMemberImportRow(models.TransientModel):
    _name = "maintenance.renewal.member.import.row"
    _description = "Reporter CSV Row Result"
    _order = "row_number"

    wizard_id = fields.Many2one("maintenance.renewal.member.import", required=True, ondelete="cascade")
    row_number = fields.Integer("Row", readonly=True)
    user_key = fields.Char("FlexNet user ID", readonly=True)
    email = fields.Char(readonly=True)
    account = fields.Char("Account ID", readonly=True)
    action = fields.Selection(
        [("create", "Create"), ("update", "Update"), ("unchanged", "Unchanged"), ("error", "Error")],
        readonly=True,
    )
    message = fields.Char(readonly=True)
    partner_id = fields.Many2one("res.partner", "Contact", readonly=True)
