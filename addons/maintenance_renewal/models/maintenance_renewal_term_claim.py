from odoo import fields, models


class MaintenanceRenewalTermClaim(models.Model):
    """The campaign launch that last set out to quote a maintenance term, and when (kept for
    diagnosis; the quotation itself may have been cancelled since).

    A launch writes the row of each term it is about to quote (see
    ``maintenance.renewal.campaign._claim_terms``) in its own transaction: of two launches
    quoting the same term at once, the second to write fails on the concurrent update (Odoo's
    transactions are REPEATABLE READ), is run again and then sees the first one's quotation.
    The terms' own rows are left alone: a refresh updating them does not conflict with a
    launch (one deleting a term a launch has just claimed is run again, as for its lines).
    """

    _name = "maintenance.renewal.term.claim"
    _description = "Maintenance Term Quoted by a Campaign"
    _log_access = False

    term_id = fields.Many2one("maintenance.renewal.term", required=True, ondelete="cascade", readonly=True)
    campaign_id = fields.Many2one(
        "maintenance.renewal.campaign", required=True, ondelete="cascade", readonly=True, index=True
    )
    date = fields.Datetime("Quoted on", required=True, readonly=True)

    _term_unique = models.Constraint(
        "UNIQUE(term_id)", "A maintenance term is claimed by one launch at a time."
    )
