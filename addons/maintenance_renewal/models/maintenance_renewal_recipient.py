from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date


class MaintenanceRenewalRecipient(models.Model):
    """A person a renewal campaign writes to: a member (end user) or admin contact of an account.

    The campaign's mass mailing targets these records, so each e-mail can show the recipient
    the products, seats and expiry dates of their own account and the link to its quotation.
    """

    _name = "maintenance.renewal.recipient"
    _description = "Renewal Campaign Recipient"
    _inherit = ["mail.thread.blacklist"]
    _order = "campaign_id, account_id, id"
    _mailing_enabled = True
    _primary_email = "email"

    campaign_id = fields.Many2one(
        "maintenance.renewal.campaign", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="campaign_id.company_id", store=True)
    partner_id = fields.Many2one("res.partner", "Contact", required=True, index=True, readonly=True)
    account_id = fields.Many2one("res.partner", required=True, index=True, readonly=True)
    name = fields.Char(related="partner_id.name")
    email = fields.Char(readonly=True)
    role = fields.Selection(
        [("member", "Member (end user)"), ("admin", "Account admin"), ("billing", "Billing contact")],
        required=True,
        default="member",
        readonly=True,
    )
    order_id = fields.Many2one("sale.order", "Renewal quotation", readonly=True)
    renew_url = fields.Char("Renewal link", compute="_compute_renew_url")
    term_ids = fields.Many2many(
        "maintenance.renewal.term", compute="_compute_term_ids", string="Maintenance terms"
    )
    renewal_html = fields.Html(
        "Renewal summary",
        compute="_compute_renewal_html",
        sanitize=False,
        help="What the e-mail shows this recipient.",
    )
    opt_out = fields.Boolean("Opted out", compute="_compute_opt_out")
    opt_out_reason = fields.Char(compute="_compute_opt_out")

    _campaign_partner_unique = models.Constraint(
        "UNIQUE(campaign_id, partner_id)", "A contact receives a campaign once."
    )

    @api.depends("order_id.access_token")
    def _compute_renew_url(self):
        for recipient in self:
            order = recipient.order_id
            recipient.renew_url = (
                f"{order.get_base_url()}{order.access_url}?access_token={order.access_token}"
                if order and order.access_token
                else False
            )

    @api.depends("campaign_id.term_ids", "account_id")
    def _compute_term_ids(self):
        by_key = defaultdict(lambda: self.env["maintenance.renewal.term"])
        for campaign in self.campaign_id:
            for term in campaign.term_ids:
                by_key[campaign.id, term.account_id.id] |= term
        for recipient in self:
            recipient.term_ids = by_key[recipient.campaign_id.id, recipient.account_id.id]

    @api.depends("term_ids", "renew_url")
    def _compute_renewal_html(self):
        env = self.env
        for recipient in self:
            rows = Markup("").join(
                Markup(
                    '<tr><td style="padding: 4px 8px;">%s</td><td style="padding: 4px 8px; text-align: right;">%s</td>'
                    '<td style="padding: 4px 8px;">%s</td></tr>'
                )
                % (
                    term.product_id.display_name or term.title or "",
                    term.seats,
                    format_date(env, term.date_end, lang_code=recipient.partner_id.lang),
                )
                for term in recipient.term_ids.sorted(lambda t: (t.date_end, t.id))
            )
            table = Markup(
                '<table style="border-collapse: collapse; margin: 8px 0;"><thead><tr>'
                '<th style="padding: 4px 8px; text-align: left;">%s</th><th style="padding: 4px 8px;">%s</th>'
                '<th style="padding: 4px 8px; text-align: left;">%s</th></tr></thead><tbody>%s</tbody></table>'
            ) % (env._("Product"), env._("Seats"), env._("Maintenance ends"), rows)
            button = (
                Markup(
                    '<p><a href="%s" style="background-color: #714B67; color: #ffffff; padding: 8px 16px; '
                    'text-decoration: none; border-radius: 4px;">%s</a></p>'
                )
                % (recipient.renew_url, env._("See the renewal quotation"))
                if recipient.renew_url
                else Markup("")
            )
            recipient.renewal_html = table + button

    @api.model
    def mail_allowed_qweb_expressions(self):
        return (*super().mail_allowed_qweb_expressions(), "object.renewal_html", "object.account_id.name")

    def _compute_opt_out(self):
        reasons = self._opt_out_reasons()
        for recipient in self:
            recipient.opt_out_reason = reasons.get(recipient.id, False)
            recipient.opt_out = recipient.id in reasons

    def _opt_out_reasons(self):
        """{recipient id: why no e-mail goes to them}: blacklisted, bounced, or opted out of
        the campaign's mailing list."""
        if not self:
            return {}
        emails = {r.email_normalized for r in self if r.email_normalized}
        blacklisted = set(
            self.env["mail.blacklist"].sudo().search([("email", "in", list(emails))]).mapped("email")
        )
        lists = self.campaign_id.mailing_list_id
        opted_out = set()
        if lists:
            subscriptions = (
                self.env["mailing.subscription"]
                .sudo()
                .search([("list_id", "in", lists.ids), ("opt_out", "=", True)])
            )
            opted_out = {(s.list_id.id, s.contact_id.email_normalized) for s in subscriptions}
        reasons = {}
        for recipient in self:
            email = recipient.email_normalized
            if not email:
                reasons[recipient.id] = self.env._("No valid e-mail address")
            elif email in blacklisted:
                reasons[recipient.id] = self.env._("Blacklisted")
            elif recipient.partner_id.message_bounce > 0:
                reasons[recipient.id] = self.env._("E-mails bounced")
            elif (recipient.campaign_id.mailing_list_id.id, email) in opted_out:
                reasons[recipient.id] = self.env._("Opted out of the campaign's list")
        return reasons

    @api.model
    def _mailing_get_opt_out_list(self, mailing):
        recipients = self.search([("campaign_id.mailing_id", "=", mailing.id)])
        reasons = recipients._opt_out_reasons()
        return {r.email_normalized for r in recipients if r.id in reasons and r.email_normalized}

    @api.model
    def _mailing_get_default_domain(self, mailing):
        campaign = self.env["maintenance.renewal.campaign"].search([("mailing_id", "=", mailing.id)], limit=1)
        return [("campaign_id", "=", campaign.id)]
