from odoo import fields, models

from .flexnet_sync_run import RUN_KINDS


class FlexnetSyncRetry(models.Model):
    """A FlexNet record that could not be imported yet (its account or part number is not in
    Odoo): incremental runs of its kind read it again by its key, waiting longer after each
    failed attempt and giving up after ten, until it is imported or FlexNet no longer has it.
    A full run of its kind reads it too (given up or not): its walk imports it when it can, and
    looks up by key what the walk did not return. Nothing leaves the list unless imported or
    gone from FlexNet."""

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
    next_attempt = fields.Datetime(
        readonly=True,
        help="Incremental runs read the record again from this time on: 15 minutes after the first "
        "failed attempt, twice as long after each next one, at most a day.",
    )
    given_up = fields.Boolean(
        readonly=True,
        help="Failed ten times: incremental runs no longer read it again (full runs still do). "
        "Try again once what it waits for is in Odoo: its attempts start again from none.",
    )

    def action_try_again(self):
        """Incremental runs read these records again from their next run on, with ten attempts
        again."""
        self.env["flexnet.backend"]._check_manager()
        self.write({"given_up": False, "next_attempt": False, "attempt_count": 0})
        return True

    _backend_kind_key_unique = models.Constraint(
        "UNIQUE(backend_id, kind, key)", "A FlexNet record is listed once per backend and kind."
    )
