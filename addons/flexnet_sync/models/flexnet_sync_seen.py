from odoo import fields, models


class FlexnetSyncSeen(models.Model):
    """The keys a full run read from FlexNet, kept until the run closes: what Odoo holds and
    the complete walk did not return is what FlexNet no longer has (see
    ``sync.importer.Importer.reconcile``). Written and read in SQL, a page at a time."""

    _name = "flexnet.sync.seen"
    _description = "FlexNet Key Read by a Full Run"
    _log_access = False

    run_id = fields.Many2one("flexnet.sync.run", required=True, ondelete="cascade")
    scope = fields.Selection(
        [("record", "Record"), ("entitlement", "Entitlement")],
        required=True,
        default="record",
        help="Lines runs read entitlement IDs besides the activation IDs of their records.",
    )
    key = fields.Char(required=True)

    _run_scope_key_idx = models.Index("(run_id, scope, key)")
