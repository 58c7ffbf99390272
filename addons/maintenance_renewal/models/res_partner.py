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
        "Days since maintenance ended",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups=RENEWAL_GROUP,
        help="Days since the oldest unrenewed maintenance of the account (in grace or past due) "
        "ended: the follow-up steps go by them.",
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

    # --- the people reminders and campaigns write to -----------------------------------------

    def _renewal_contacts(self, roles=None, billing=True):
        """{account: [(contact, role)]} for the accounts ``self``: the people renewal e-mails
        are addressed to, never the account record itself when it has people.

        Members are the account's contacts with a FlexNet user name and an e-mail whom FlexNet
        keeps active (a user FlexNet deactivated, e.g. someone who left, gets nothing); ``role`` is
        ``admin`` for a member whose FlexNet roles name an admin, else ``member``. With
        ``roles`` (FlexNet role names, case-insensitive), only the members holding one of them,
        unless the account has none: then every member (the reminder still reaches people).
        With ``billing``, the account's invoice address (child of type ``invoice``) with an
        e-mail, else the account itself when it has an e-mail, as ``billing``. Admins come
        first, then members, then the billing contact; one contact (and one e-mail address)
        appears once per account.
        """
        wanted_roles = {r.strip().lower() for r in (roles or []) if r and r.strip()}
        contacts = self.search(
            [
                ("commercial_partner_id", "in", self.ids),
                ("id", "not in", self.ids),
                ("email", "!=", False),
                "|",
                ("flexnet_user_name", "!=", False),
                ("type", "=", "invoice"),
            ],
            order="id",
        )
        by_account = {account: [] for account in self}
        for contact in contacts:
            if contact.commercial_partner_id in by_account:
                by_account[contact.commercial_partner_id].append(contact)
        result = {}
        rank = {"admin": 0, "member": 1, "billing": 2}
        for account, found in by_account.items():
            members = [c for c in found if c.flexnet_user_name and c.flexnet_can_login]
            if wanted_roles:
                chosen = [c for c in members if wanted_roles & c._flexnet_role_set()]
                members = chosen or members
            people = [(c, "admin" if c._is_flexnet_admin() else "member") for c in members]
            if billing:
                invoice = next((c for c in found if not c.flexnet_user_name and c.type == "invoice"), None)
                if invoice:
                    people.append((invoice, "billing"))
                elif account.email:
                    people.append((account, "billing"))
            people.sort(key=lambda item: rank[item[1]])
            seen_partners, seen_emails, unique = set(), set(), []
            for contact, role in people:
                email = contact.email_normalized or contact.email
                if contact in seen_partners or email in seen_emails:
                    continue
                seen_partners.add(contact)
                seen_emails.add(email)
                unique.append((contact, role))
            result[account] = unique
        return result

    def _flexnet_role_set(self):
        self.ensure_one()
        return {r.strip().lower() for r in (self.flexnet_roles or "").split(",") if r.strip()}

    def _is_flexnet_admin(self):
        self.ensure_one()
        return any("admin" in role for role in self._flexnet_role_set())

    def _renewal_opted_out(self):
        """The contacts of ``self`` that renewal e-mails skip: blacklisted addresses
        (mail.blacklist), addresses that bounced, and addresses opted out of a renewal
        campaign's mailing list (mass mailing's unsubscribe)."""
        emails = {p.email_normalized for p in self if p.email_normalized}
        if not emails:
            return self.filtered(lambda p: not p.email_normalized)
        blacklisted = set(
            self.env["mail.blacklist"].sudo().search([("email", "in", list(emails))]).mapped("email")
        )
        lists = (
            self.env["maintenance.renewal.campaign"]
            .sudo()
            .search([("mailing_list_id", "!=", False)])
            .mailing_list_id
        )
        opted_out = set()
        if lists:
            opted_out = set(
                self.env["mailing.subscription"]
                .sudo()
                .search(
                    [
                        ("list_id", "in", lists.ids),
                        ("opt_out", "=", True),
                        ("contact_id.email_normalized", "in", list(emails)),
                    ]
                )
                .contact_id.mapped("email_normalized")
            )
        return self.filtered(
            lambda p: (
                not p.email_normalized
                or p.email_normalized in blacklisted
                or p.email_normalized in opted_out
                or p.sudo().message_bounce > 0
            )
        )
