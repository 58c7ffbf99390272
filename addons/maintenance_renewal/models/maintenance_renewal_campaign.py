import logging
import uuid
import zlib
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from odoo.addons.queue_job.delay import chain, group

from .maintenance_renewal_term import OVERDUE_STATES

_logger = logging.getLogger(__name__)
_CREATE_BATCH = 500
# accounts one launch job quotes; a launch with no more is done in the request itself
LAUNCH_BATCH_PARAM = "maintenance_renewal.launch_batch_accounts"
LAUNCH_BATCH_DEFAULT = 250
LAUNCH_CHANNEL = "root.maintenance_renewal"
# jobs that put a launch's addresses on the mailing list, each its share of the addresses
LAUNCH_LIST_PARTS = 4
# queue_job states of a job that has not finished yet
_JOB_UNFINISHED = ("wait_dependencies", "pending", "enqueued", "started")
# how a launch's batch job that ran to its end reports (a job set to done by hand does not)
_BATCH_DONE = "accounts launched:"
# records a campaign creates in bulk: no creation message, no follower, no tracking each
_QUIET = {"mail_create_nolog": True, "mail_create_nosubscribe": True, "tracking_disable": True}


def _jobs_to_run(jobs):
    """The ``jobs`` (queue.job) that have not run yet and will: each waiting one only if each
    job it waits for is done or will run (none failed, was cancelled or is gone)."""
    will_run = {}

    def runs(job):
        if job not in will_run:
            will_run[job] = False  # a graph of jobs has no cycle; safe all the same
            if job.state == "wait_dependencies":
                wanted = set((job.dependencies or {}).get("depends_on", []))
                found = job.dependency_ids
                will_run[job] = len(found) == len(wanted) and all(runs(dep) for dep in found)
            else:
                will_run[job] = job.state in ("done", *_JOB_UNFINISHED)
        return will_run[job]

    return jobs.filtered(lambda job: job.state in _JOB_UNFINISHED and runs(job))


class MaintenanceRenewalCampaign(models.Model):
    """Targets maintenance terms coming up for renewal (or past due), quotes each account once
    and writes to every member of those accounts: the end users, not only the billing contact."""

    _name = "maintenance.renewal.campaign"
    _description = "Maintenance Renewal Campaign"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one("res.users", "Responsible", default=lambda self: self.env.user)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("previewed", "Previewed"),
            ("launching", "Launching"),
            ("launched", "Launched"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    # targeting
    expiring_from = fields.Date(
        "Maintenance ending from", default=lambda self: fields.Date.context_today(self)
    )
    expiring_to = fields.Date(
        "Maintenance ending until",
        default=lambda self: fields.Date.context_today(self) + timedelta(days=90),
    )
    include_past_due = fields.Boolean("Include past due")
    past_due_max_days = fields.Integer(
        "Past due by up to (days)",
        default=90,
        help="Past-due terms are included up to this many days after their end.",
    )
    product_ids = fields.Many2many(
        "product.product",
        "maintenance_renewal_campaign_product_rel",
        "campaign_id",
        "product_id",
        string="Licensed products",
        domain=[("flexnet_kind", "!=", False)],
        help="Only maintenance of these products; all when empty.",
    )
    account_type_ids = fields.Many2many(
        "flexnet.account.type",
        "maintenance_renewal_campaign_account_type_rel",
        "campaign_id",
        "account_type_id",
        string="Account types",
    )
    country_ids = fields.Many2many(
        "res.country",
        "maintenance_renewal_campaign_country_rel",
        "campaign_id",
        "country_id",
        string="Countries",
    )
    quotation_validity_days = fields.Integer("Quotations valid for (days)", default=30)
    recipient_roles = fields.Char(
        "Members with FlexNet roles",
        help="Comma-separated FlexNet roles (e.g. Portal Admin): the campaign writes to the members "
        "holding one of them, or to every member of an account where nobody does. Empty: every "
        "member. The billing contact is always written to.",
    )
    # preview
    term_ids = fields.Many2many(
        "maintenance.renewal.term",
        "maintenance_renewal_campaign_term_rel",
        "campaign_id",
        "term_id",
        string="Targeted maintenance",
        readonly=True,
        copy=False,
    )
    term_count = fields.Integer(compute="_compute_preview")
    account_count = fields.Integer(compute="_compute_preview")
    amount_total = fields.Monetary("Amount to renew", compute="_compute_preview")
    contact_count = fields.Integer("Contacts", compute="_compute_preview")
    # what the launch made
    order_ids = fields.One2many("sale.order", "renewal_campaign_id", "Quotations", readonly=True)
    recipient_ids = fields.One2many("maintenance.renewal.recipient", "campaign_id", readonly=True)
    mailing_list_id = fields.Many2one("mailing.list", readonly=True, copy=False)
    mailing_id = fields.Many2one("mailing.mailing", "Mass mailing", readonly=True, copy=False)
    # a launch too large for one request runs as a graph of queue_job jobs
    launch_graph_uuid = fields.Char(readonly=True, copy=False)
    launch_jobs_pending = fields.Integer("Launch jobs to run", compute="_compute_launch_jobs")
    launch_jobs_failed = fields.Integer("Launch jobs failed", compute="_compute_launch_jobs")
    # results
    recipient_count = fields.Integer(compute="_compute_results")
    opt_out_count = fields.Integer("Opted out", compute="_compute_opt_out_count")
    quotation_count = fields.Integer(compute="_compute_results")
    sent_count = fields.Integer("Sent", compute="_compute_results")
    opened_count = fields.Integer("Opened", compute="_compute_results")
    clicked_count = fields.Integer("Clicked", compute="_compute_results")
    won_count = fields.Integer("Quotations won", compute="_compute_results")
    won_amount = fields.Monetary("Revenue", compute="_compute_results")

    _days_positive = models.Constraint(
        "CHECK(past_due_max_days >= 0 AND quotation_validity_days >= 0)",
        "Day counts of a campaign cannot be negative.",
    )

    @api.constrains("expiring_from", "expiring_to")
    def _check_expiring_to(self):
        for campaign in self:
            if (
                campaign.expiring_from
                and campaign.expiring_to
                and campaign.expiring_to < campaign.expiring_from
            ):
                raise ValidationError(
                    self.env._("The targeted window of %s ends before it starts.", campaign.name)
                )

    @api.depends("term_ids", "recipient_roles")
    def _compute_preview(self):
        for campaign in self:
            terms = campaign.term_ids
            accounts = terms.account_id
            campaign.term_count = len(terms)
            campaign.account_count = len(accounts)
            campaign.amount_total = sum(terms.mapped("amount_company"))
            campaign.contact_count = len(campaign._recipient_partners(accounts))

    def _compute_results(self):
        """Counts of the campaigns in a few grouped queries (the list shows them all)."""
        recipients = dict(
            self.env["maintenance.renewal.recipient"]._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id"], ["__count"]
            )
        )
        orders = defaultdict(dict)  # campaign: {state: (count, amount)}
        for campaign, state, count, amount in self.env["sale.order"]._read_group(
            [("renewal_campaign_id", "in", self.ids)],
            ["renewal_campaign_id", "state"],
            ["__count", "amount_untaxed:sum"],
        ):
            orders[campaign][state] = (count, amount)
        for campaign in self:
            mailing = campaign.mailing_id
            by_state = orders[campaign]
            won_count, won_amount = by_state.get("sale", (0, 0.0))
            campaign.recipient_count = recipients.get(campaign, 0)
            campaign.quotation_count = sum(n for state, (n, _a) in by_state.items() if state != "cancel")
            campaign.won_count = won_count
            campaign.won_amount = won_amount
            campaign.sent_count = mailing.sent if mailing else 0
            campaign.opened_count = mailing.opened if mailing else 0
            campaign.clicked_count = mailing.clicked if mailing else 0

    @api.depends("launch_graph_uuid")
    def _compute_launch_jobs(self):
        """Jobs of each campaign's current launch that will still run, and failed ones (the
        renewal groups have no access to queue_job's records: read as superuser). A job
        waiting for others runs only if each of them is done or will run (none failed, was
        cancelled or is gone, nor waits for such a job)."""
        uuids = [uuid for uuid in self.mapped("launch_graph_uuid") if uuid]
        jobs = self.env["queue.job"].sudo().search([("graph_uuid", "in", uuids)]) if uuids else None
        by_graph = jobs.grouped("graph_uuid") if jobs else {}
        for campaign in self:
            graph = by_graph.get(campaign.launch_graph_uuid) or self.env["queue.job"]
            campaign.launch_jobs_pending = len(_jobs_to_run(graph))
            campaign.launch_jobs_failed = len(graph.filtered(lambda j: j.state == "failed"))

    def _compute_opt_out_count(self):
        for campaign in self:
            campaign.opt_out_count = len(campaign.recipient_ids._opt_out_reasons())

    @api.ondelete(at_uninstall=False)
    def _unlink_except_launching(self):
        for campaign in self:
            if campaign.launch_jobs_pending:
                raise UserError(
                    self.env._(
                        "Campaign %s is being launched: wait for its background jobs to end.", campaign.name
                    )
                )

    # --- targeting ---------------------------------------------------------------------------

    def _target_domain(self):
        self.ensure_one()
        today = fields.Date.context_today(self)
        window = Domain("state", "in", ("active", "expiring"))
        if self.expiring_from:
            window &= Domain("date_end", ">=", self.expiring_from)
        if self.expiring_to:
            window &= Domain("date_end", "<=", self.expiring_to)
        domain = window
        if self.include_past_due:
            domain |= Domain("state", "in", OVERDUE_STATES) & Domain(
                "date_end", ">=", today - timedelta(days=self.past_due_max_days)
            )
        domain &= Domain("company_id", "=", self.company_id.id)
        domain &= Domain("maintenance_product_id", "!=", False)
        if self.product_ids:
            domain &= Domain("product_id", "in", self.product_ids.ids)
        if self.account_type_ids:
            domain &= Domain("account_type", "in", self.account_type_ids.mapped("code"))
        if self.country_ids:
            domain &= Domain("country_id", "in", self.country_ids.ids)
        # maintenance already quoted elsewhere (another campaign or by hand) is not quoted twice,
        # nor that of another campaign whose launch is quoting it in the background
        domain &= Domain("renewal_line_ids", "not any", self._foreign_quote_domain())
        quoting = self._other_launches_quoting()
        if quoting:
            domain &= Domain("id", "not in", quoting.ids)
        return domain

    def _other_launches_quoting(self):
        """Terms of the other campaigns whose launch runs in the background."""
        running = self.search([("launch_graph_uuid", "!=", False), ("id", "not in", self.ids)])
        return running.filtered("launch_jobs_pending").term_ids

    def _foreign_quote_domain(self):
        return Domain("order_id.state", "in", ("draft", "sent", "sale")) & Domain(
            "order_id.renewal_campaign_id", "!=", self.id
        )

    def _recipient_partners(self, accounts):
        """{partner: (account, role)} for the accounts: the same people as the past-due
        reminders (``res.partner._renewal_contacts``): every FlexNet member with an e-mail
        (admins marked) and the account's billing contact."""
        self.ensure_one()
        found = {}
        roles = (self.recipient_roles or "").split(",")
        for account, people in accounts._renewal_contacts(roles=roles).items():
            for contact, role in people:
                found.setdefault(contact, (account, role))
        return found

    def action_preview(self):
        """Select the maintenance terms the campaign targets (terms are kept up to date by
        their own refresh: see ``maintenance.renewal.term._refresh``), by today's status."""
        self.env["maintenance.renewal.term"]._refresh_if_stale()
        for campaign in self:
            if campaign.state in ("launching", "launched"):
                raise UserError(
                    self.env._("Campaign %s is launched: launch it again to add what is new.", campaign.name)
                )
            terms = self.env["maintenance.renewal.term"].search(campaign._target_domain())
            campaign.write({"term_ids": [fields.Command.set(terms.ids)], "state": "previewed"})
        return True

    def action_reset(self):
        self.filtered(lambda c: c.state == "previewed").write(
            {"state": "draft", "term_ids": [fields.Command.clear()]}
        )
        return True

    # --- launch --------------------------------------------------------------------------------

    def action_launch(self):
        """Quote each targeted account, list its members and prepare the mass mailing.

        The accounts are taken in batches (``maintenance_renewal.launch_batch_accounts``, 250
        by default): a launch of one batch is done at once; a larger one runs as queue_job
        jobs, one per batch (as many at a time as the ``root.maintenance_renewal`` channel
        allows), then jobs that put the recipients' addresses on the mailing list (each its
        share of the addresses), then a last one that prepares the mass mailing and marks the
        campaign launched. Until then the campaign is *Launching*.

        Safe to run again: an account is quoted once per campaign (new terms are added to its
        quotation while it is a draft), a contact is listed once, and the mailing's own
        bookkeeping sends nobody the same campaign twice. A launch whose jobs still run
        cannot be started again; one whose jobs failed can, and its former jobs then do
        nothing if they are run again.
        """
        self.env["maintenance.renewal.term"]._refresh_if_stale()
        for campaign in self:
            if campaign.launch_jobs_pending:
                raise UserError(
                    self.env._(
                        "Campaign %s is being launched: its quotations are still being created.",
                        campaign.name,
                    )
                )
            terms = self.env["maintenance.renewal.term"].search(campaign._target_domain())
            campaign.term_ids = [fields.Command.link(t) for t in terms.ids]
            # terms previewed before another campaign's launch took them, or quoted since
            taken = (campaign.term_ids & campaign._other_launches_quoting()) | self.env[
                "maintenance.renewal.term"
            ].search(
                [
                    ("id", "in", campaign.term_ids.ids),
                    ("renewal_line_ids", "any", campaign._foreign_quote_domain()),
                ]
            )
            if taken:
                campaign.term_ids = [fields.Command.unlink(t) for t in taken.ids]
            if not campaign.term_ids:
                raise UserError(
                    self.env._(
                        "Campaign %s targets no maintenance: widen its window or filters.", campaign.name
                    )
                )
            campaign._ensure_mailing_list()
            # made once here, not by two jobs creating a database's first mailing contacts
            self.env["properties.base.definition"]._get_definition_id_for_property_field(
                "mailing.contact", "properties"
            )
            campaign._launch_supersede()
            batches = campaign._launch_batches()
            if len(batches) == 1:
                campaign._launch_accounts(batches[0])
                campaign._launch_finish()
                continue
            if campaign.state != "launched":  # adding what is new keeps a campaign launched
                campaign.state = "launching"
            options = {"channel": LAUNCH_CHANNEL}
            parts = min(len(batches), LAUNCH_LIST_PARTS)
            finish = campaign.delayable(
                **options, description=self.env._("Renewal campaign %s: mass mailing", campaign.name)
            )._job_launch_finish()
            chain(
                group(
                    *(
                        campaign.delayable(
                            **options,
                            description=self.env._(
                                "Renewal campaign %(name)s: accounts, batch %(batch)s of %(count)s",
                                name=campaign.name,
                                batch=number,
                                count=len(batches),
                            ),
                        )._job_launch_accounts(batch.ids)
                        for number, batch in enumerate(batches, start=1)
                    )
                ),
                group(
                    *(
                        campaign.delayable(
                            **options,
                            description=self.env._(
                                "Renewal campaign %(name)s: mailing list, part %(part)s of %(count)s",
                                name=campaign.name,
                                part=part + 1,
                                count=parts,
                            ),
                        )._job_launch_list(part, parts)
                        for part in range(parts)
                    )
                ),
                finish,
            ).delay()
            job = finish._generated_job
            if job.graph_uuid and self.env["queue.job"].sudo().search_count([("uuid", "=", job.uuid)]):
                campaign.launch_graph_uuid = job.graph_uuid  # stored: run by the job runner
        return True

    def _launch_batches(self):
        """The accounts of the campaign's terms, in batches of the configured size."""
        self.ensure_one()
        size = int(
            self.env["ir.config_parameter"].sudo().get_param(LAUNCH_BATCH_PARAM, LAUNCH_BATCH_DEFAULT) or 0
        )
        accounts = self.term_ids.account_id.sorted("id")
        size = max(size, 1)
        return [accounts[start : start + size] for start in range(0, len(accounts), size)] or [accounts]

    def _launch_supersede(self):
        """A new launch: the former launch's jobs that did not run are cancelled, and any of
        them run all the same (requeued by hand) does nothing (:meth:`_is_current_launch_job`)."""
        self.ensure_one()
        self._launch_jobs([("state", "in", ("failed", "wait_dependencies"))]).button_cancelled()
        self.launch_graph_uuid = False

    def _launch_accounts(self, accounts):
        """Quote the campaign's terms of ``accounts`` and make their people recipients."""
        self.ensure_one()
        self._launch_quotations(accounts)
        self._launch_recipients(accounts)

    def _launch_finish(self):
        """The end of a launch: what no job did (a job set to done by hand without running)
        is done now: accounts with terms not quoted are launched, addresses not on the mailing
        list join it; then the mass mailing is prepared."""
        self.ensure_one()
        quoted = self._renewing_lines(self.term_ids).renewal_term_id
        left = (self.term_ids - quoted).account_id | self._launch_skipped_accounts()
        if left:
            self._launch_accounts(left)
        missing = self._recipients_not_listed()
        if missing:
            self._sync_mailing_list(missing)
        self._launch_mailing()
        self.write({"state": "launched", "launch_graph_uuid": False})

    def _launch_jobs(self, domain):
        """The jobs of the campaign's current launch matching ``domain`` (the renewal groups
        have no access to queue_job's records: read as superuser); none without a launch."""
        self.ensure_one()
        if not self.launch_graph_uuid:
            return self.env["queue.job"].sudo()
        return self.env["queue.job"].sudo().search([("graph_uuid", "=", self.launch_graph_uuid), *domain])

    def _launch_skipped_accounts(self):
        """The accounts of the current launch's batch jobs that are done without having run
        to their end (set to done by hand): their people may be new since an earlier launch."""
        jobs = self._launch_jobs([("method_name", "=", "_job_launch_accounts"), ("state", "=", "done")])
        skipped = [
            account_id
            for job in jobs
            if not (job.result or "").startswith(_BATCH_DONE)
            for account_id in job.args[0]
        ]
        return self.env["res.partner"].browse(skipped).exists()

    def _recipients_not_listed(self):
        """The recipients (with an address) whose address has no contact on the mailing list."""
        self.ensure_one()
        for model in ("maintenance.renewal.recipient", "mailing.contact", "mailing.subscription"):
            self.env[model].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT r.id
                  FROM maintenance_renewal_recipient r
                 WHERE r.campaign_id = %(campaign)s
                   AND r.email_normalized IS NOT NULL
                   AND NOT EXISTS (
                       SELECT 1
                         FROM mailing_subscription s
                         JOIN mailing_contact c ON c.id = s.contact_id
                        WHERE s.list_id = %(list)s AND c.email_normalized = r.email_normalized
                   )
                """,
                campaign=self.id,
                list=self.mailing_list_id.id or None,
            )
        )
        return self.env["maintenance.renewal.recipient"].browse([id_ for (id_,) in rows])

    def _is_current_launch_job(self):
        """Whether the job running this code is one of the campaign's current launch (always
        true outside a stored job): a job of a launch started again since is superseded.

        The campaign's row is share-locked for the job's transaction: a new launch (which
        writes the row) waits for a job of the former one to end, and a job that starts after
        it sees its graph (or fails on the concurrent update and is tried again)."""
        self.env.cr.execute(
            SQL("SELECT 1 FROM %s WHERE id = %s FOR SHARE", SQL.identifier(self._table), self.id)
        )
        job_uuid = self.env.context.get("job_uuid")
        job = self.env["queue.job"].sudo().search([("uuid", "=", job_uuid)], limit=1) if job_uuid else None
        return not job or job.graph_uuid == self.launch_graph_uuid

    def _job_launch_accounts(self, account_ids):
        """Job: one batch of a launch (see :meth:`action_launch`)."""
        self.ensure_one()
        if not self._is_current_launch_job():
            return "superseded by a later launch of the campaign"
        accounts = self.env["res.partner"].browse(account_ids).exists()
        self._launch_accounts(accounts)
        return f"{_BATCH_DONE} {len(accounts)}"

    def _job_launch_list(self, part, parts):
        """Job: the addresses of the campaign's recipients that fall in share ``part`` of
        ``parts`` (by a checksum of the address) join its mailing list, once every batch is
        done. The shares run at the same time: an address (shared by people of accounts of two
        batches, or on a contact already) is always in the same one, so listed once."""
        self.ensure_one()
        if not self._is_current_launch_job():
            return "superseded by a later launch of the campaign"
        everyone = self.env["maintenance.renewal.recipient"].search_fetch(
            [("campaign_id", "=", self.id), ("email_normalized", "!=", False)], ["email_normalized"]
        )
        recipients = everyone.filtered(lambda r: zlib.crc32(r.email_normalized.encode()) % parts == part)
        self._sync_mailing_list(recipients.with_prefetch(recipients.ids))
        return f"{len(recipients)} recipient(s)"

    def _job_launch_finish(self):
        """Job: the last of a launch, once the mailing list is done (see :meth:`action_launch`)."""
        self.ensure_one()
        if not self._is_current_launch_job():
            return "superseded by a later launch of the campaign"
        self._launch_finish()
        return "launched"

    def _launch_quotations(self, accounts):
        """Quote the campaign's terms of ``accounts`` not quoted yet: one quotation per
        account, a line per term.

        A new quotation is created through the ORM in batches, with the values the campaign
        decides (account, salesperson, origin, validity, access token, lines) and everything
        else as for a quotation made by hand: the records' own defaults, evaluated per record,
        and the computed fields (addresses, pricelist, fiscal position, payment terms,
        warehouse, prices, taxes, analytic distribution), which the ORM computes per batch.
        New terms of an account whose quotation from this campaign is still a draft become new
        lines of that quotation, created in one batch too.
        """
        self.ensure_one()
        today = fields.Date.context_today(self)
        Line = self.env["sale.order.line"]
        terms = self.env["maintenance.renewal.term"].search(
            [("id", "in", self.term_ids.ids), ("account_id", "in", accounts.ids)]
        )
        lines = self._renewing_lines(terms)
        quoted = lines.renewal_term_id
        ours = lines.filtered(lambda line: line.order_id.renewal_campaign_id == self).renewal_term_id
        self._drop_terms(quoted - ours)
        todo = terms - quoted
        if not todo:
            return self.env["sale.order"]
        self._claim_terms(todo)
        self._prefetch_quotation_values(todo)
        existing = {
            order.partner_id: order
            for order in self.env["sale.order"].search(
                [
                    ("renewal_campaign_id", "=", self.id),
                    ("partner_id", "in", accounts.ids),
                    ("state", "in", ("draft", "sent")),
                ]
            )
        }
        by_account = defaultdict(list)
        for term in todo:
            by_account[term.account_id].append(term)
        validity_date = today + timedelta(days=self.quotation_validity_days)
        new_orders, new_lines = [], []
        for account, terms in by_account.items():
            lines = [self._quotation_line_values(term, today) for term in terms]
            order = existing.get(account)
            if order:
                new_lines += [{**line, "order_id": order.id} for line in lines]
                continue
            new_orders.append(
                {
                    "partner_id": account.id,
                    "company_id": self.company_id.id,
                    "user_id": (account.user_id or self.user_id).id,
                    "origin": self.name,
                    "renewal_campaign_id": self.id,
                    "validity_date": validity_date,
                    "access_token": str(uuid.uuid4()),
                    "order_line": [fields.Command.create(line) for line in lines],
                }
            )
        # the campaign is the quotations' origin: no creation message per quotation
        Order = self.env["sale.order"].with_company(self.company_id).with_context(**_QUIET)
        if new_lines:
            Line.with_company(self.company_id).with_context(**_QUIET).create(new_lines)
        orders = self.env["sale.order"]
        for start in range(0, len(new_orders), _CREATE_BATCH):
            orders |= Order.create(new_orders[start : start + _CREATE_BATCH])
        _logger.info(
            "Renewal campaign %s: %s new quotation(s), %s line(s) added to draft ones",
            self.name,
            len(orders),
            len(new_lines),
        )
        return orders

    @api.model
    def _renewing_lines(self, terms):
        """The quotation and order lines (not cancelled) that renew ``terms``."""
        return self.env["sale.order.line"].search_fetch(
            [("renewal_term_id", "in", terms.ids), ("order_id.state", "!=", "cancel")],
            ["renewal_term_id", "order_id"],
        )

    def _claim_terms(self, terms):
        """Claim ``terms`` for this launch before quoting them: two launches quoting the same
        terms at once (two campaigns launched together, neither seeing the other's quotations)
        both write their claims, and the second to write fails on the concurrent update
        (Odoo's transactions are REPEATABLE READ). It is run again, by queue_job for a job or
        by Odoo for a request, and then sees the first one's quotations. Claims are written
        in the order of the terms, so that two launches never wait for each other in turn.
        A quotation made by hand claims nothing: it may still renew a term a launch quotes
        at the same moment."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO maintenance_renewal_term_claim (term_id, campaign_id, date)
                SELECT term_id, %s, %s FROM unnest(%s::int[]) AS term_id ORDER BY term_id
                ON CONFLICT (term_id) DO UPDATE
                   SET campaign_id = EXCLUDED.campaign_id, date = EXCLUDED.date
                """,
                self.id,
                self.env.cr.now(),
                sorted(terms.ids),
            )
        )

    def _drop_terms(self, terms):
        """Targeted ``terms`` that another quotation renews now (quoted by hand, or by another
        campaign's launch that ran at the same time) are no longer this campaign's. The
        relation is written directly: a launch's jobs run side by side, and writing the
        campaign's row from each would make them conflict."""
        terms &= self.term_ids
        if terms:
            self.flush_recordset(["term_ids"])
            self.modified(["term_ids"])  # the preview's figures, the recipients' terms
            self.env.cr.execute(
                SQL(
                    "DELETE FROM maintenance_renewal_campaign_term_rel WHERE campaign_id = %s AND term_id IN %s",
                    self.id,
                    tuple(terms.ids),
                )
            )
            self.invalidate_recordset(["term_ids"])

    @api.model
    def _prefetch_quotation_values(self, terms):
        """Read what :meth:`_quotation_line_values` reads for all ``terms`` at once: the
        terms, their entitlement lines, accounts and products, and the products' names."""
        terms.fetch(
            ["account_id", "line_id", "product_id", "maintenance_product_id", "title", "seats", "date_end"]
        )
        terms.line_id.fetch(["activation_id"])
        terms.account_id.fetch(["user_id"])
        products = terms.product_id | terms.maintenance_product_id
        products.product_tmpl_id.fetch(["flexnet_term_months"])
        products.mapped("display_name")

    def _quotation_line_values(self, term, today):
        start = term.date_end + timedelta(days=1) if term.date_end >= today else today
        months = term.maintenance_product_id.flexnet_term_months or 12
        end = fields.Date.add(start, months=months) - timedelta(days=1)
        return {
            "product_id": term.maintenance_product_id.id,
            "product_uom_qty": term.seats,
            "renewal_term_id": term.id,
            "flexnet_parent_line_id": term.line_id.id,
            "name": self.env._(
                "%(sku)s for %(product)s (%(activation)s), %(seats)s seat(s): %(start)s to %(end)s",
                sku=term.maintenance_product_id.display_name,
                product=term.product_id.display_name or term.title,
                activation=term.line_id.activation_id,
                seats=term.seats,
                start=start,
                end=end,
            ),
        }

    def _launch_recipients(self, accounts):
        """The campaign's recipients among the people of ``accounts`` that have its quotation,
        each with their account's quotation (their addresses join the mailing list at the
        launch's end). An account whose terms another quotation renews gets no e-mail."""
        self.ensure_one()
        orders = {
            order.partner_id.id: order.id
            for order in self.env["sale.order"].search(
                [
                    ("renewal_campaign_id", "=", self.id),
                    ("partner_id", "in", accounts.ids),
                    ("state", "!=", "cancel"),
                ]
            )
        }
        wanted = self._recipient_partners(accounts.filtered(lambda account: account.id in orders))
        known = {
            r.partner_id.id: r
            for r in self.env["maintenance.renewal.recipient"].search(
                [("campaign_id", "=", self.id), ("partner_id", "in", [p.id for p in wanted])]
            )
        }
        values = []
        for partner, (account, role) in wanted.items():
            if partner.id in known:
                recipient = known[partner.id]
                if recipient.order_id.id != orders.get(account.id):
                    recipient.order_id = orders.get(account.id)
                continue
            values.append(
                {
                    "campaign_id": self.id,
                    "partner_id": partner.id,
                    "account_id": account.id,
                    "email": partner.email,
                    "email_normalized": partner.email_normalized,  # the same address: not parsed again
                    "role": role,
                    "order_id": orders.get(account.id),
                }
            )
        return self.env["maintenance.renewal.recipient"].with_context(**_QUIET).create(values)

    def _ensure_mailing_list(self):
        self.ensure_one()
        if not self.mailing_list_id:
            self.mailing_list_id = self.env["mailing.list"].create(
                {"name": self.env._("Renewals: %s", self.name), "is_public": False}
            )
        return self.mailing_list_id

    def _sync_mailing_list(self, recipients):
        """The campaign's mailing list: one mailing contact per address (existing ones reused,
        their opt-outs kept); new contacts are created already subscribed."""
        self.ensure_one()
        mailing_list = (
            self.mailing_list_id if self.env.context.get("job_uuid") else self._ensure_mailing_list()
        )
        if not mailing_list:
            raise UserError(
                self.env._("The mailing list of campaign %s was deleted: launch it again.", self.name)
            )
        emails = {r.email_normalized: r for r in recipients if r.email_normalized}
        if not emails:
            return
        contacts = self.env["mailing.contact"].search([("email_normalized", "in", list(emails))])
        existing = {}
        for contact in contacts:
            existing.setdefault(contact.email_normalized, contact)
        subscribed = set(
            self.env["mailing.subscription"]
            .search([("list_id", "=", mailing_list.id), ("contact_id", "in", contacts.ids)])
            .contact_id.ids
        )
        self.env["mailing.contact"].with_context(**_QUIET).create(
            [
                {
                    "name": emails[email].partner_id.name,
                    "email": emails[email].email,
                    "company_name": emails[email].account_id.name,
                    "list_ids": [fields.Command.link(mailing_list.id)],
                }
                for email in emails
                if email not in existing
            ]
        )
        self.env["mailing.subscription"].create(
            [
                {"list_id": mailing_list.id, "contact_id": contact.id}
                for contact in existing.values()
                if contact.id not in subscribed
            ]
        )
        mailing_list.invalidate_recordset(["contact_ids", "subscription_ids"])

    def _launch_mailing(self):
        self.ensure_one()
        if self.mailing_id:
            return self.mailing_id
        self.mailing_id = self.env["mailing.mailing"].create(
            {
                "subject": self.env._("Your maintenance is up for renewal"),
                "mailing_type": "mail",
                "mailing_model_id": self.env["ir.model"]._get_id("maintenance.renewal.recipient"),
                "mailing_domain": repr([("campaign_id", "=", self.id)]),
                "body_arch": self._mailing_body(),
                "body_html": self._mailing_body(),
                "user_id": self.user_id.id or self.env.user.id,
            }
        )
        return self.mailing_id

    def _mailing_body(self):
        """The mailing's body: QWeb on the recipient, using only expressions that any
        mailing user may render (see the recipient's ``mail_allowed_qweb_expressions``)."""
        return Markup(
            """<div style="margin: 0; padding: 16px; font-family: Arial, sans-serif; font-size: 14px;">
<p>%(hello)s <t t-out="object.name"/>,</p>
<p>%(intro)s</p>
<t t-out="object.renewal_html"/>
<p>%(outro)s</p>
</div>"""
        ) % {
            "hello": self.env._("Hello"),
            "intro": self.env._(
                "You use software whose maintenance is coming up for renewal. Without it you lose "
                "new releases and support. Here is what your organisation has, and the quotation "
                "to renew it:"
            ),
            "outro": self.env._("Please share this with whoever approves the renewal at your organisation."),
        }

    # --- buttons -----------------------------------------------------------------------------

    def action_view_terms(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "maintenance_renewal.maintenance_renewal_term_action"
        )
        action["domain"] = [("id", "in", self.term_ids.ids)]
        action["context"] = {}
        return action

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_quotations_with_onboarding")
        action["domain"] = [("renewal_campaign_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def action_view_recipients(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "maintenance_renewal.maintenance_renewal_recipient_action"
        )
        action["domain"] = [("campaign_id", "=", self.id)]
        return action

    def action_view_mailing(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.mailing",
            "res_id": self.mailing_id.id,
            "view_mode": "form",
        }
