from odoo import fields, models

from .flexnet_sync_run import RUN_KINDS


class FlexnetSyncRetry(models.Model):
    """A FlexNet record that could not be imported yet (its account or part number is not in
    Odoo): the next incremental run of its kind reads it again by its key, until it is
    imported, FlexNet no longer has it, or a full run of its kind supersedes the list."""

    _name = "flexnet.sync.retry"
    _description = "FlexNet Record to Import Again"
    _order = "backend_id, kind, id"
    _rec_name = "key"

    backend_id = fields.Many2one("flexnet.backend", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    kind = fields.Selection(RUN_KINDS, required=True, readonly=True)
    key = fields.Char("FlexNet key", required=True, readonly=True, help="Activation ID or user name.")
    reason = fields.Char(readonly=True)
    run_id = fields.Many2one("flexnet.sync.run", "Last failed in", ondelete="set null", readonly=True)
    attempt_count = fields.Integer("Attempts", default=1, readonly=True)
    last_attempt = fields.Datetime(readonly=True)

    _backend_kind_key_unique = models.Constraint(
        "UNIQUE(backend_id, kind, key)", "A FlexNet record is listed once per backend and kind."
    )
