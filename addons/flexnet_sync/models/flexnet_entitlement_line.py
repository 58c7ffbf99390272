from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain

# what flexnet.entitled.product reads of a line: a write of one of them changes it
ENTITLED_SOURCES = frozenset(
    {
        "partner_id",
        "product_id",
        "backend_id",
        "company_id",
        "seats",
        "expiration_date",
        "is_permanent",
        "state",
        "line_type",
    }
)

MAINTENANCE_STATUS = [
    ("none", "No maintenance"),
    ("active", "Active"),
    ("expiring", "Expiring"),
    ("grace", "In grace"),
    ("past_due", "Past due"),
]


def maintenance_status_of(end, today, grace_days, expiring_days):
    """The status of maintenance ending on ``end``, as of ``today``: the one definition of
    past due. ``past_due`` once it ended more than ``grace_days`` ago (the company's
    *maintenance grace*), ``grace`` from the day after the end until then, ``expiring`` when it
    ends within ``expiring_days`` (the backend's, inclusive), else ``active``; ``none`` without
    an end. maintenance_renewal's terms follow the same rule (their status adds renewed,
    lapsed and closed)."""
    if not end:
        return "none"
    if end < today - timedelta(days=grace_days):
        return "past_due"
    if end < today:
        return "grace"
    if end <= today + timedelta(days=expiring_days):
        return "expiring"
    return "active"


class FlexnetEntitlementLine(models.Model):
    """A line item of a FlexNet entitlement (activation ID), or a maintenance line of one."""

    _name = "flexnet.entitlement.line"
    _inherit = ["flexnet.backend.company.mixin"]
    _description = "FlexNet Entitlement Line"
    _order = "entitlement_id desc, id"
    _rec_name = "activation_id"

    activation_id = fields.Char("Activation ID", required=True, readonly=True)
    entitlement_id = fields.Many2one(
        "flexnet.entitlement", required=True, ondelete="cascade", index=True, readonly=True
    )
    partner_id = fields.Many2one("res.partner", "Account", required=True, index=True, readonly=True)
    line_type = fields.Selection(
        [("entitlement", "Entitlement"), ("maintenance", "Maintenance")], required=True, default="entitlement"
    )
    parent_id = fields.Many2one(
        "flexnet.entitlement.line", "Parent line", index="btree_not_null", ondelete="cascade", readonly=True
    )
    maintenance_ids = fields.One2many("flexnet.entitlement.line", "parent_id", readonly=True)
    product_id = fields.Many2one("product.product", index="btree_not_null", readonly=True)
    part_number = fields.Char(readonly=True)
    product_name = fields.Char("FlexNet product", readonly=True)
    product_version = fields.Char(readonly=True)
    description = fields.Char(readonly=True)
    seats = fields.Integer(readonly=True)
    start_date = fields.Date(readonly=True)
    expiration_date = fields.Date(readonly=True)
    is_permanent = fields.Boolean("Permanent", readonly=True)
    state = fields.Char(readonly=True)
    order_ref = fields.Char("Order ID", readonly=True)
    order_line_number = fields.Char(readonly=True)
    flexnet_modified = fields.Datetime("Modified in FlexNet", readonly=True)
    maintenance_end = fields.Date(
        readonly=True,
        index=True,
        help="End of the latest maintenance of this line (kept by the synchronisation).",
    )
    maintenance_status = fields.Selection(
        MAINTENANCE_STATUS, compute="_compute_maintenance_status", search="_search_maintenance_status"
    )

    _activation_backend_unique = models.Constraint(
        "UNIQUE(backend_id, activation_id)", "An activation ID appears once per FlexNet backend."
    )
    _partner_product_idx = models.Index("(partner_id, product_id) WHERE line_type = 'entitlement'")

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        self.env["flexnet.entitled.product"]._sources_changed()
        return lines

    def write(self, vals):
        res = super().write(vals)
        if ENTITLED_SOURCES.intersection(vals):
            self.env["flexnet.entitled.product"]._sources_changed()
        return res

    def unlink(self):
        res = super().unlink()
        self.env["flexnet.entitled.product"]._sources_changed()
        return res

    def _status_settings(self):
        """(today, grace days, expiring days) for the status of the lines of ``self``'s
        company and backend (the first line's; defaults without one)."""
        today = fields.Date.context_today(self)
        company = self.company_id[:1] or self.env.company
        grace = company.sudo().maintenance_grace_days
        expiring = self.backend_id[:1].sudo().expiring_days or 60
        return today, grace, expiring

    @api.depends(
        "maintenance_end", "line_type", "company_id.maintenance_grace_days", "backend_id.expiring_days"
    )
    @api.depends_context("date")
    def _compute_maintenance_status(self):
        for line in self:
            today, grace, expiring = line._status_settings()
            end = line.maintenance_end if line.line_type == "entitlement" else False
            line.maintenance_status = maintenance_status_of(end, today, grace, expiring)

    def _search_maintenance_status(self, operator, value):
        if operator not in ("in", "="):
            return NotImplemented
        values = [value] if isinstance(value, str) else list(value)
        today = fields.Date.context_today(self)
        # each company has its grace, each backend its expiring days
        backends = (
            self.env["flexnet.backend"]
            .sudo()
            .with_context(active_test=False)
            .search([("company_id", "!=", False)])
        )
        parts = [Domain("maintenance_end", "=", False)] if "none" in values else []
        for backend in backends:
            grace = backend.company_id.maintenance_grace_days
            past_due_before = today - timedelta(days=grace)
            horizon = today + timedelta(days=backend.expiring_days or 60)
            bounds = {
                "past_due": Domain("maintenance_end", "<", past_due_before),
                "grace": Domain("maintenance_end", ">=", past_due_before)
                & Domain("maintenance_end", "<", today),
                "expiring": Domain("maintenance_end", ">=", today) & Domain("maintenance_end", "<=", horizon),
                "active": Domain("maintenance_end", ">", horizon),
            }
            found = [bounds[v] for v in values if v in bounds]
            if found:
                parts.append(Domain("backend_id", "=", backend.id) & Domain.OR(found))
        domain = Domain.OR(parts) if parts else Domain.FALSE
        return Domain("line_type", "=", "entitlement") & domain
