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
        "Days past due",
        required=True,
        help="The step runs once an account's maintenance is this many days past due.",
    )
    send_email = fields.Boolean("Send an e-mail", default=True)
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

    def _execute(self, accounts):
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.send_email and self.mail_template_id:
            accounts.with_context(mail_post_autofollow=False).message_post_with_source(
                self.mail_template_id, message_type="comment", subtype_xmlid="mail.mt_comment"
            )
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
