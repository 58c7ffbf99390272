from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain


class MaintenanceRenewalDashboard(models.TransientModel):
    """Key renewal figures for managers, each opening the records behind it."""

    _name = "maintenance.renewal.dashboard"
    _description = "Renewal Dashboard"

    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    expiring_30 = fields.Monetary("Ending in 30 days", compute="_compute_figures")
    expiring_90 = fields.Monetary("Ending in 90 days", compute="_compute_figures")
    expiring_365 = fields.Monetary("Ending in 12 months", compute="_compute_figures")
    grace_amount = fields.Monetary("In grace", compute="_compute_figures")
    overdue_amount = fields.Monetary("Past due", compute="_compute_figures")
    overdue_accounts = fields.Integer("Past-due accounts", compute="_compute_figures")
    renewal_rate = fields.Float("Renewal rate (12 months)", compute="_compute_figures")
    open_quotations = fields.Integer("Open renewal quotations", compute="_compute_figures")
    open_amount = fields.Monetary("Open renewal amount", compute="_compute_figures")
    won_amount = fields.Monetary("Renewals won (12 months)", compute="_compute_figures")
    campaign_count = fields.Integer("Campaigns launched", compute="_compute_figures")

    def _compute_display_name(self):
        for board in self:
            board.display_name = self.env._("Renewal dashboard")

    def _window(self, days):
        today = fields.Date.context_today(self)
        return (
            Domain("state", "in", ("active", "expiring"))
            & Domain("date_end", ">=", today)
            & Domain("date_end", "<=", today + timedelta(days=days))
        )

    def _sum(self, domain):
        Term = self.env["maintenance.renewal.term"]
        [(total,)] = Term._read_group(
            domain & Domain("company_id", "=", self.company_id.id), [], ["amount_company:sum"]
        )
        return total or 0.0

    @api.depends("company_id")
    def _compute_figures(self):
        today = fields.Date.context_today(self)
        Term = self.env["maintenance.renewal.term"]
        Order = self.env["sale.order"]
        for board in self:
            company = Domain("company_id", "=", board.company_id.id)
            board.expiring_30 = board._sum(board._window(30))
            board.expiring_90 = board._sum(board._window(90))
            board.expiring_365 = board._sum(board._window(365))
            # past due: the one definition (after the company's maintenance grace)
            board.grace_amount = board._sum(Domain("state", "=", "grace"))
            overdue = Domain("state", "=", "past_due")
            board.overdue_amount = board._sum(overdue)
            board.overdue_accounts = len(Term._read_group(overdue & company, ["account_id"]))
            [(rate,)] = Term._read_group(
                company
                & Domain("date_end", ">=", today - timedelta(days=365))
                & Domain("date_end", "<", today),
                [],
                ["renewal_rate:avg"],
            )
            board.renewal_rate = rate or 0.0
            renewal_orders = company & Domain("order_line.renewal_term_id", "!=", False)
            open_domain = renewal_orders & Domain("state", "in", ("draft", "sent"))
            [(count, amount)] = Order._read_group(open_domain, [], ["__count", "amount_untaxed:sum"])
            board.open_quotations = count
            board.open_amount = amount or 0.0
            won_domain = (
                renewal_orders
                & Domain("state", "=", "sale")
                & Domain("date_order", ">=", fields.Datetime.now() - timedelta(days=365))
            )
            [(won,)] = Order._read_group(won_domain, [], ["amount_untaxed:sum"])
            board.won_amount = won or 0.0
            board.campaign_count = self.env["maintenance.renewal.campaign"].search_count(
                company & Domain("state", "=", "launched")
            )

    @api.model
    def action_open(self):
        board = self.create({})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Renewal dashboard"),
            "res_model": self._name,
            "res_id": board.id,
            "view_mode": "form",
            "target": "current",
        }

    def _term_action(self, domain, name):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "maintenance_renewal.maintenance_renewal_term_action"
        )
        action.update({"domain": list(domain), "name": name, "context": {}})
        return action

    def action_view_expiring(self):
        return self._term_action(self._window(90), self.env._("Maintenance ending in 90 days"))

    def action_view_overdue(self):
        return self._term_action(Domain("state", "=", "past_due"), self.env._("Past-due maintenance"))

    def action_view_grace(self):
        return self._term_action(Domain("state", "=", "grace"), self.env._("Maintenance in grace"))

    def action_view_analysis(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "maintenance_renewal.maintenance_renewal_term_report_action"
        )

    def action_view_past_due_accounts(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "maintenance_renewal.res_partner_past_due_action"
        )
