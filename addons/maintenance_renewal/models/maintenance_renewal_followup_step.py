import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .maintenance_renewal_term import OVERDUE_STATES

_logger = logging.getLogger(__name__)


class MaintenanceRenewalFollowupStep(models.Model):
    """A reminder step for past-due maintenance: at N days past due, an e-mail and/or an activity."""

    _name = "maintenance.renewal.followup.step"
    _description = "Past-Due Follow-up Step"
    _order = "days, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    days = fields.Integer(
        "Days after the end",
        required=True,
        help="The step runs once an account's maintenance ended this many days ago: steps "
        "within the company's maintenance grace remind before the maintenance is past due.",
    )
    send_email = fields.Boolean("Send an e-mail", default=True)
    recipient_roles = fields.Char(
        "Members with FlexNet roles",
        help="Comma-separated FlexNet roles (e.g. Portal Admin): the e-mail goes to the account's "
        "members holding one of them, or to every member when the account has none. Empty: "
        "every member.",
    )
    send_to_billing = fields.Boolean(
        "Billing contact too",
        default=True,
        help="Also write to the account's invoice address, or to the account's own e-mail "
        "when it has no invoice address.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        "E-mail template",
        domain=[("model", "=", "res.partner")],
        default=lambda self: self.env.ref(
            "maintenance_renewal.mail_template_renewal_past_due", raise_if_not_found=False
        ),
    )
    create_activity = fields.Boolean("Schedule an activity", default=True)
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        default=lambda self: self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False),
    )
    activity_summary = fields.Char(translate=True)
    activity_note = fields.Html(translate=True)
    activity_deadline_days = fields.Integer("Activity due in (days)", default=3)

    _days_company_unique = models.Constraint(
        "UNIQUE(company_id, days)", "Two follow-up steps of a company cannot start on the same day."
    )
    _days_positive = models.Constraint("CHECK(days >= 0)", "Days past due cannot be negative.")

    @api.constrains("send_email", "mail_template_id")
    def _check_mail_template_id(self):
        for step in self:
            if step.send_email and not step.mail_template_id:
                raise ValidationError(
                    self.env._("Follow-up step %s sends an e-mail: choose its template.", step.name)
                )

    # --- the daily run ----------------------------------------------------------------------

    @api.model
    def _cron_run_followup(self):
        # the steps go by today's days past due: the terms' status as of today first (the
        # daily refresh may not have run yet today)
        self.env["maintenance.renewal.term"].sudo()._refresh()
        return self.sudo()._run_followup()

    @api.model
    def _run_followup(self):
        """Move every past-due account to the step its days past due reach; run that step once.

        An account jumps straight to the latest step it reached (no burst of the earlier ones)
        and starts again from the first step once it has nothing past due.
        """
        partners = self.env["res.partner"]
        overdue = partners.search([("renewal_term_ids.state", "in", OVERDUE_STATES)])
        cleared = partners.search([("renewal_followup_step_id", "!=", False), ("id", "not in", overdue.ids)])
        if cleared:
            cleared.write({"renewal_followup_step_id": False})
        steps_by_company = defaultdict(lambda: self.browse())
        for step in self.search([("active", "=", True)], order="days"):
            steps_by_company[step.company_id.id] |= step
        to_run = defaultdict(lambda: partners.browse())
        for partner in overdue:
            company = partner.company_id or self.env.company
            reached = steps_by_company[company.id].filtered(
                lambda s, p=partner: s.days <= p.renewal_days_past_due
            )
            target = reached[-1:]
            current = partner.renewal_followup_step_id
            if target and (not current or target.days > current.days):
                to_run[target] |= partner
        for step, accounts in to_run.items():
            step._execute(accounts)
        return sum(len(accounts) for accounts in to_run.values())

    def _recipients(self, accounts):
        """{account: contacts} the step's e-mail goes to: the people of
        ``res.partner._renewal_contacts`` (members by the step's FlexNet roles, admins first,
        and the billing contact), less those who opted out."""
        self.ensure_one()
        roles = (self.recipient_roles or "").split(",")
        contacts = accounts._renewal_contacts(roles=roles, billing=self.send_to_billing)
        people = self.env["res.partner"].union(*(c for found in contacts.values() for c, _role in found))
        skipped = people._renewal_opted_out()
        return {
            account: self.env["res.partner"].union(*(c for c, _role in found if c not in skipped))
            for account, found in contacts.items()
        }

    def _send_reminders(self, accounts):
        """Post the step's e-mail on each account's chatter, addressed to its people (never to
        the account record itself, which usually has no e-mail); an account with nobody to
        write to gets a note saying so."""
        self.ensure_one()
        template = self.mail_template_id
        recipients = self._recipients(accounts)
        rendered = template._generate_template(accounts.ids, ("subject", "body_html", "email_from"))
        for account in accounts:
            people = recipients[account]
            if not people:
                account._message_log(
                    body=self.env._(
                        "Follow-up step %(step)s: no member nor billing contact to write to (no e-mail, "
                        "or they opted out).",
                        step=self.name,
                    )
                )
                continue
            values = rendered[account.id]
            # queued for the mail queue's job, never sent inside the daily run
            account.with_context(mail_post_autofollow=False, mail_notify_force_send=False).message_post(
                body=values.get("body_html") or "",
                subject=values.get("subject"),
                email_from=values.get("email_from") or None,
                partner_ids=people.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                mail_auto_delete=False,
            )

    def _execute(self, accounts):
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.send_email and self.mail_template_id:
            self._send_reminders(accounts)
        if self.create_activity and self.activity_type_id:
            deadline = fields.Date.add(today, days=self.activity_deadline_days)
            model = self.env["ir.model"]._get_id("res.partner")
            self.env["mail.activity"].create(
                [
                    {
                        "res_model_id": model,
                        "res_id": account.id,
                        "activity_type_id": self.activity_type_id.id,
                        "summary": self.activity_summary
                        or self.env._("Past-due maintenance: %s days", account.renewal_days_past_due),
                        "note": self.activity_note,
                        "date_deadline": deadline,
                        "user_id": (account.user_id or self.env.ref("base.user_admin")).id,
                    }
                    for account in accounts
                ]
            )
        accounts.write({"renewal_followup_step_id": self.id, "renewal_last_reminder": today})
        _logger.info("Follow-up step %s ran for %s account(s)", self.name, len(accounts))
