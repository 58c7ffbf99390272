from odoo import api, fields, models


class FlexnetEntitlement(models.Model):
    """An entitlement of FlexNet Operations: what an account bought, as line items."""

    _name = "flexnet.entitlement"
    _inherit = ["flexnet.backend.company.mixin"]
    _description = "FlexNet Entitlement"
    _order = "id desc"

    name = fields.Char("Entitlement ID", required=True, index=True, readonly=True)
    backend_id = fields.Many2one(
        "flexnet.backend", required=True, ondelete="restrict", index=True, readonly=True
    )
    partner_id = fields.Many2one(
        "res.partner", "Account", required=True, index=True, ondelete="restrict", readonly=True
    )
    account_id = fields.Char("FlexNet account ID", readonly=True)
    description = fields.Char(readonly=True)
    state = fields.Char(readonly=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index="btree_not_null")
    line_ids = fields.One2many(
        "flexnet.entitlement.line",
        "entitlement_id",
        domain=[("line_type", "=", "entitlement")],
        readonly=True,
    )
    maintenance_line_ids = fields.One2many(
        "flexnet.entitlement.line",
        "entitlement_id",
        domain=[("line_type", "=", "maintenance")],
        readonly=True,
    )
    line_count = fields.Integer(compute="_compute_line_count")

    _name_backend_unique = models.Constraint(
        "UNIQUE(backend_id, name)", "An entitlement ID appears once per FlexNet backend."
    )

    def unlink(self):
        res = super().unlink()  # their lines go with them, in the database
        self.env["flexnet.entitled.product"]._sources_changed()
        return res

    @api.depends("line_ids")
    def _compute_line_count(self):
        counts = dict(
            self.env["flexnet.entitlement.line"]._read_group(
                [("entitlement_id", "in", self.ids), ("line_type", "=", "entitlement")],
                ["entitlement_id"],
                ["__count"],
            )
        )
        for entitlement in self:
            entitlement.line_count = counts.get(entitlement, 0)
