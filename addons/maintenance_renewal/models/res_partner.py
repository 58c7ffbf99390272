from odoo import api, fields, models
from odoo.tools import SQL

from .maintenance_renewal_term import OVERDUE_STATES

RENEWAL_GROUP = "maintenance_renewal.group_renewal_user"


class ResPartner(models.Model):
    _inherit = "res.partner"

    renewal_currency_id = fields.Many2one("res.currency", compute="_compute_renewal_currency_id")
    renewal_overdue_amount = fields.Monetary(
        "Overdue maintenance",
        currency_field="renewal_currency_id",
        readonly=True,
        copy=False,
        groups=RENEWAL_GROUP,
        help="Renewal amount of the account's maintenance terms in grace or past due (company currency).",
    )
    renewal_days_past_due = fields.Integer(
        "Days past due", readonly=True, copy=False, index="btree_not_null", groups=RENEWAL_GROUP
    )
    renewal_followup_step_id = fields.Many2one(
        "maintenance.renewal.followup.step",
        "Follow-up step reached",
        readonly=True,
        copy=False,
        groups=RENEWAL_GROUP,
    )
    renewal_last_reminder = fields.Date("Last reminder", readonly=True, copy=False, groups=RENEWAL_GROUP)
    renewal_last_contact = fields.Datetime(
        "Last contact",
        compute="_compute_renewal_last_contact",
        groups=RENEWAL_GROUP,
        help="Last message or e-mail on the account.",
    )
    renewal_term_ids = fields.One2many(
        "maintenance.renewal.term", "account_id", "Maintenance terms", groups=RENEWAL_GROUP
    )
    renewal_overdue_term_ids = fields.One2many(
        "maintenance.renewal.term",
        "account_id",
        "Overdue maintenance terms",
        domain=[("state", "in", OVERDUE_STATES)],
        groups=RENEWAL_GROUP,
    )

    def _compute_renewal_currency_id(self):
        self.renewal_currency_id = self.env.company.currency_id

    def _compute_renewal_last_contact(self):
        last = dict(
            self.env["mail.message"]
            .sudo()
            ._read_group(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "in", self.ids),
                    ("message_type", "in", ("email", "comment", "email_outgoing")),
                ],
                ["res_id"],
                ["date:max"],
            )
        )
        for partner in self:
            partner.renewal_last_contact = last.get(partner.id, False)

    @api.model
    def _renewal_update_overdue(self, account_ids=None):
        """Refresh step of ``maintenance.renewal.term._refresh``: overdue amount and days of the
        accounts (all when None) from their terms in grace or past due, in one statement."""
        self.env.flush_all()
        only_terms = (
            SQL("AND account_id = ANY(%s)", list(account_ids)) if account_ids is not None else SQL("")
        )
        only_partners = SQL("AND p.id = ANY(%s)", list(account_ids)) if account_ids is not None else SQL("")
        self.env.cr.execute(
            SQL(
                """
                WITH o AS (
                    SELECT account_id, SUM(amount_company) AS amount, MAX(days_past_due) AS days
                      FROM maintenance_renewal_term
                     WHERE state IN %(states)s %(only_terms)s
                     GROUP BY account_id
                ), x AS (
                    SELECT p.id, COALESCE(o.amount, 0) AS amount, COALESCE(o.days, 0) AS days
                      FROM res_partner p
                      LEFT JOIN o ON o.account_id = p.id
                     WHERE (o.account_id IS NOT NULL
                            OR COALESCE(p.renewal_overdue_amount, 0) <> 0
                            OR COALESCE(p.renewal_days_past_due, 0) <> 0) %(only_partners)s
                )
                UPDATE res_partner p
                   SET renewal_overdue_amount = x.amount, renewal_days_past_due = x.days
                  FROM x
                 WHERE x.id = p.id
                   AND (COALESCE(p.renewal_overdue_amount, 0), COALESCE(p.renewal_days_past_due, 0))
                       IS DISTINCT FROM (x.amount, x.days)
                """,
                states=OVERDUE_STATES,
                only_terms=only_terms,
                only_partners=only_partners,
            )
        )
        self.invalidate_model(["renewal_overdue_amount", "renewal_days_past_due"])

    def action_view_renewal_terms(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "maintenance_renewal.maintenance_renewal_term_action"
        )
        action["domain"] = [("account_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action
