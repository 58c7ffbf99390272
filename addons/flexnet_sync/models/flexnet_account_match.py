from odoo import fields, models
from odoo.exceptions import UserError


class FlexnetAccountMatch(models.Model):
    """A probable existing FlexNet account for a customer that has none linked yet.

    Found when an order would create a FlexNet account: a person links the customer to the
    existing account, or dismisses the match so that a new account may be created.
    """

    _name = "flexnet.account.match"
    _description = "Probable Duplicate FlexNet Account"
    _order = "state, id desc"

    partner_id = fields.Many2one("res.partner", "Customer", required=True, ondelete="cascade", index=True)
    backend_id = fields.Many2one("flexnet.backend", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    account_id = fields.Char("FlexNet account ID", required=True)
    account_name = fields.Char("FlexNet account name")
    reason = fields.Char(required=True, help="Why this account looks like the customer's.")
    state = fields.Selection(
        [("open", "To review"), ("linked", "Linked"), ("dismissed", "Dismissed")],
        default="open",
        required=True,
    )

    _match_unique = models.Constraint(
        "UNIQUE(partner_id, backend_id, account_id)", "This account is already listed for this customer."
    )

    def action_link(self):
        """Link the customer to this FlexNet account and push its waiting orders."""
        self.ensure_one()
        self.backend_id._check_manager()
        if self.state != "open":
            raise UserError(self.env._("This match was already reviewed."))
        partner = self.partner_id.commercial_partner_id
        taken = self.env["res.partner"].search(
            [
                ("flexnet_backend_id", "=", self.backend_id.id),
                ("flexnet_account_id", "=", self.account_id),
                ("id", "!=", partner.id),
            ],
            limit=1,
        )
        if taken:
            raise UserError(
                self.env._(
                    "FlexNet account %(account)s is already linked to %(partner)s; merge the two contacts instead.",
                    account=self.account_id,
                    partner=taken.display_name,
                )
            )
        partner.write({"flexnet_backend_id": self.backend_id.id, "flexnet_account_id": self.account_id})
        self.state = "linked"
        (
            self.search([("partner_id", "=", self.partner_id.id), ("state", "=", "open")]) - self
        ).state = "dismissed"
        partner._flexnet_push_waiting_orders()
        return True

    def action_dismiss(self):
        """Not the same customer: allow a new FlexNet account once no match is open."""
        self.backend_id._check_manager()
        self.state = "dismissed"
        for partner in self.partner_id:
            if not self.search_count([("partner_id", "=", partner.id), ("state", "=", "open")]):
                partner.commercial_partner_id.flexnet_allow_new_account = True
                partner.commercial_partner_id._flexnet_push_waiting_orders()
        return True
