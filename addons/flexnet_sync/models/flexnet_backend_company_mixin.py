from odoo import api, fields, models
from odoo.exceptions import ValidationError


class FlexnetBackendCompanyMixin(models.AbstractModel):
    """A record of one FlexNet backend, in that backend's company.

    ``company_id`` is always the backend's (checked). It is computed like a related field, but
    a creation that gives it (the synchronisation does) keeps it instead of computing it
    record by record: Odoo would drop a readonly precomputed value given to ``create``."""

    _name = "flexnet.backend.company.mixin"
    _description = "Record of a FlexNet Backend, in Its Company"

    backend_id = fields.Many2one("flexnet.backend", required=True, ondelete="restrict", readonly=True)
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
    )

    @api.depends("backend_id.company_id")
    def _compute_company_id(self):
        for record in self:
            record.company_id = record.backend_id.company_id

    @api.constrains("company_id", "backend_id")
    def _check_company_id(self):
        for record in self:
            if record.company_id != record.backend_id.company_id:
                raise ValidationError(
                    self.env._(
                        "%(record)s must belong to the company of its FlexNet backend, %(company)s.",
                        record=record.display_name,
                        company=record.backend_id.company_id.display_name,
                    )
                )
