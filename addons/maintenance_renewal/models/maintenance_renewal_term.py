import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.flexnet_sync.sync.mapper import CLOSED_LINE_STATES

_logger = logging.getLogger(__name__)

TERM_STATES = [
    ("active", "Active"),
    ("expiring", "Expiring"),
    ("grace", "In grace"),
    ("past_due", "Past due"),
    ("renewed", "Renewed"),
    ("lapsed", "Lapsed"),
    ("closed", "Closed in FlexNet"),
]
OPEN_STATES = ("active", "expiring", "grace", "past_due")
OVERDUE_STATES = ("grace", "past_due")
AGE_BUCKETS = [
    ("not_due", "Not due"),
    ("0_30", "1-30 days"),
    ("31_60", "31-60 days"),
    ("61_90", "61-90 days"),
    ("91_plus", "Over 90 days"),
]
_AMOUNT_BATCH = 5000
# the day of the last refresh of every term (ir.config_parameter)
REFRESHED_ON = "maintenance_renewal.terms_refreshed_on"


class MaintenanceRenewalTerm(models.Model):
    """One maintenance term of an entitlement line: what comes up for renewal, and when.

    Terms are derived from ``flexnet.entitlement.line.maintenance_end`` by :meth:`_refresh`,
    their one refresh entry point, whose docstring states what holds and who calls it: a line
    whose maintenance end moves later keeps its earlier term as *renewed* and gets a new one,
    so renewal rates can be reported.
    """

    _name = "maintenance.renewal.term"
    _description = "Maintenance Term"
    _order = "date_end, id"
    _rec_name = "line_id"

    line_id = fields.Many2one(
        "flexnet.entitlement.line", "Entitlement line", required=True, ondelete="cascade", readonly=True
    )
    backend_id = fields.Many2one("flexnet.backend", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    account_id = fields.Many2one("res.partner", required=True, index=True, readonly=True)
    user_id = fields.Many2one(related="account_id.user_id", string="Salesperson", store=True, index=True)
    country_id = fields.Many2one(related="account_id.country_id", store=True)
    account_type = fields.Selection(related="account_id.flexnet_account_type", store=True)
    entitlement_id = fields.Many2one("flexnet.entitlement", readonly=True)
    activation_id = fields.Char(related="line_id.activation_id")
    product_id = fields.Many2one("product.product", "Licensed product", readonly=True, index=True)
    title = fields.Char("Software title", readonly=True)
    maintenance_product_id = fields.Many2one("product.product", "Maintenance SKU", readonly=True)
    seats = fields.Integer(readonly=True)
    date_start = fields.Date("Maintenance start", readonly=True)
    date_end = fields.Date("Maintenance end", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(
        "Renewal amount",
        readonly=True,
        help="The maintenance SKU's price on the account's pricelist, for the line's seats.",
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company currency")
    amount_company = fields.Monetary(
        "Amount (company currency)", currency_field="company_currency_id", readonly=True
    )
    state = fields.Selection(
        TERM_STATES, "Status", required=True, default="active", readonly=True, index=True
    )
    days_past_due = fields.Integer(
        "Days since end",
        readonly=True,
        help="Days since the maintenance ended (0 until then, or when renewed or closed); past due "
        "once they exceed the company's maintenance grace.",
    )
    age_bucket = fields.Selection(AGE_BUCKETS, "Past-due age", default="not_due", readonly=True)
    renewal_date = fields.Date(readonly=True, help="When the term was seen renewed.")
    renewal_rate = fields.Float(
        aggregator="avg",
        readonly=True,
        help="1 for a renewed term, 0 for a lapsed one, empty while undecided; its average is the renewal rate.",
    )
    renewal_line_ids = fields.One2many("sale.order.line", "renewal_term_id", "Renewal quotation lines")
    renewal_order_id = fields.Many2one("sale.order", "Renewal quotation", compute="_compute_renewal_order_id")

    _line_end_unique = models.Constraint(
        "UNIQUE(line_id, date_end)", "A maintenance term appears once per entitlement line and end date."
    )
    _state_end_idx = models.Index("(state, date_end)")

    @api.depends("renewal_line_ids.order_id.state")
    def _compute_renewal_order_id(self):
        for term in self:
            orders = term.renewal_line_ids.order_id.filtered(lambda o: o.state != "cancel")
            term.renewal_order_id = orders.sorted("id")[-1:] if orders else False

    # --- refresh ---------------------------------------------------------------------------

    @api.model
    def _refresh(self, line_ids=None, reprice=False):
        """Bring the maintenance terms, and the overdue figures of their accounts, in line with
        the entitlement lines: all of them, or the lines ``line_ids``. The one way terms change.

        What holds afterwards, for the lines refreshed:

        *Rows.* Each entitlement line (``line_type`` entitlement) with a ``maintenance_end``
        has exactly one *current* term, whose ``date_end`` is that maintenance end. It may keep
        earlier terms (``date_end`` before the maintenance end): the terms that were current at
        an earlier refresh, before FlexNet moved the end later. They are the renewal history and
        keep the values they had then, account included (a later transfer of the entitlement
        leaves them with the account that renewed them). No term ends after its line's
        maintenance end and a line without one has no term: such terms (a correction in FlexNet)
        are deleted, which unlinks them from campaigns and quotation lines. The FlexNet state of
        the line decides the status only (below).

        *Values of the current term*, from its line: the line's account (``partner_id``: an
        entitlement transferred to another account moves its current terms with it), backend and
        its company, entitlement, licensed product, title (the license's FlexNet product name,
        another kind's software title, else the line's FlexNet product name), seats (at least 1),
        the maintenance SKU (the product of the line's latest maintenance line, by expiration
        then newest; else the first active maintenance product carrying the title), the start of
        that latest maintenance line (kept when the line has none). Every term, current or not,
        shows its account's salesperson, country and FlexNet account type.

        *Status of every refreshed term*, as of the day of the refresh, with the grace and lapse
        days of the term's company and the expiring days of its backend: ``renewed`` when the
        line's maintenance end is later than the term's or a confirmed order (state ``sale``)
        has a line renewing the term (``renewal_term_id``); else ``lapsed`` when it ended more
        than the lapse days ago; else ``closed`` when the line's FlexNet state is INACTIVE,
        OBSOLETE or REMOVED (FlexNet no longer has it): such a line is neither quoted nor chased,
        and a line FlexNet deploys again takes up its term; else ``past_due`` when it ended more
        than the grace days ago, ``grace`` before today, ``expiring`` when it ends within the
        expiring days (inclusive), else ``active``. ``days_past_due`` counts the days since the
        end (0 when renewed, closed or not yet ended), ``age_bucket`` groups them (1-30, 31-60,
        61-90, more), ``renewal_rate`` is 1 when renewed, 0 when lapsed, empty otherwise; ``renewal_date`` is the day of the refresh that
        first saw the term renewed, empty while it is not.

        *Amounts.* Every open term (active, expiring, grace, past due) has an amount: the
        maintenance SKU's price on the account's pricelist in the term's company, for the term's
        seats, times the seats (0 without a SKU), in the pricelist's currency, and the same in
        company currency. A term is priced when it has no amount: when it is new, or its account,
        product, title, SKU or seats changed; ``reprice`` prices every open term again (the
        daily job and the refresh button: pricelists change). Renewed and lapsed terms keep the
        amount they had (none when they were not open since they last changed).

        *Accounts.* For every account with a refreshed term, before or after (every account when
        ``line_ids`` is None): ``renewal_overdue_amount`` is the sum of the company-currency
        amounts of its terms in grace or past due, ``renewal_days_past_due`` the most days past
        due among them, both 0 without such a term.

        Terms also go, outside a refresh, with their line (ON DELETE CASCADE): deleting
        entitlements or lines updates the overdue figures of their accounts
        (``flexnet.entitlement``, ``flexnet.entitlement.line``); a merge of partners refreshes
        the destination's lines and figures (``base.partner.merge.automatic.wizard``).

        What a refresh leaves alone: terms of other lines, campaign selections, quotations, and
        the follow-up progress of accounts (step reached, last reminder).

        Called from these places only, the writes that change the above: the end of each
        synchronisation run of lines, done or failed, and each page job of one
        (``flexnet.sync.run``: new maintenance, transfers, corrections; products are synchronised
        before lines); a renewal order confirmed, cancelled or pushed to FlexNet
        (``sale.order``); the grace, lapse or expiring days changed (``res.company``,
        ``flexnet.backend``); the daily job and the refresh button (``reprice``: today's status
        and prices); the daily follow-up run, which acts on today's days past due; a campaign's
        preview and launch when no refresh of every term ran today (:meth:`_refresh_if_stale`,
        campaigns target today's status). Between two daily jobs a term's status is the one of the day it was last refreshed, and what no
        caller follows (a pricelist, an account's pricelist, a line added to an order already
        confirmed) shows at the next daily job.

        Returns the number of terms created or changed from their lines.
        """
        if line_ids is not None:
            line_ids = list(line_ids)
            if not line_ids:
                return 0
        self.env.flush_all()
        # only these accounts' overdue figures can change (before or after)
        accounts = self._accounts_of_lines(line_ids) if line_ids is not None else None
        today = fields.Date.context_today(self)  # one day for every step
        changed = self._update_rows(line_ids, today=today, reprice=reprice)
        self._update_states(line_ids, today=today)
        self._update_amounts(None if reprice else "missing", line_ids, today=today)
        self.env["res.partner"]._renewal_update_overdue(accounts)
        if line_ids is None:
            self.env["ir.config_parameter"].sudo().set_param(
                REFRESHED_ON, fields.Date.to_string(fields.Date.context_today(self))
            )
        return changed

    @api.model
    def _refresh_if_stale(self):
        """Refresh every term unless they were all refreshed today: what reads the terms'
        status to act on it (campaigns) acts on today's, not on the last daily job's."""
        today = fields.Date.to_string(fields.Date.context_today(self))
        if self.env["ir.config_parameter"].sudo().get_param(REFRESHED_ON) != today:
            self.sudo()._refresh()

    @api.model
    def _accounts_of_lines(self, line_ids):
        """Ids of the accounts of the entitlement lines ``line_ids`` and of their terms."""
        if not line_ids:
            return []
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT partner_id FROM flexnet_entitlement_line WHERE id = ANY(%(ids)s) UNION "
                "SELECT account_id FROM maintenance_renewal_term WHERE line_id = ANY(%(ids)s)",
                ids=list(line_ids),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _status_sql(self, date_end, renewed, line_state, lapse_days, grace_days, expiring_days, today):
        """SQL of a term's status (see :meth:`_refresh`) from SQL expressions of its end, whether it
        is renewed, its line's FlexNet state and its company's and backend's days."""
        return SQL(
            """CASE WHEN %(renewed)s THEN 'renewed'
                    WHEN %(end)s < %(today)s::date - COALESCE(%(lapse)s, 365) THEN 'lapsed'
                    WHEN COALESCE(%(line_state)s, '') IN %(closed)s THEN 'closed'
                    WHEN %(end)s < %(today)s::date - COALESCE(%(grace)s, 30) THEN 'past_due'
                    WHEN %(end)s < %(today)s::date THEN 'grace'
                    WHEN %(end)s <= %(today)s::date + COALESCE(%(expiring)s, 60) THEN 'expiring'
                    ELSE 'active' END""",
            renewed=renewed,
            end=date_end,
            line_state=line_state,
            lapse=lapse_days,
            grace=grace_days,
            expiring=expiring_days,
            today=today,
            closed=CLOSED_LINE_STATES,
        )

    @api.model
    def _status_figures_sql(self, state, days):
        """SQL of a term's days past due, age bucket and renewal rate (columns ``days``, ``bucket``
        and ``rate``), from SQL expressions of its status and of the days since its end."""
        return SQL(
            """CASE WHEN %(state)s IN ('renewed', 'closed') THEN 0 ELSE %(days)s END AS days,
               CASE WHEN %(state)s IN ('renewed', 'closed') OR %(days)s = 0 THEN 'not_due'
                    WHEN %(days)s <= 30 THEN '0_30'
                    WHEN %(days)s <= 60 THEN '31_60'
                    WHEN %(days)s <= 90 THEN '61_90'
                    ELSE '91_plus' END AS bucket,
               CASE %(state)s WHEN 'renewed' THEN 1.0 WHEN 'lapsed' THEN 0.0 END AS rate""",
            state=state,
            days=days,
        )

    @api.model
    def _update_rows(self, line_ids=None, today=None, reprice=False):
        """Refresh step: the rows and values of the terms of :meth:`_refresh`, new open terms
        priced unless ``reprice`` (the others: :meth:`_update_amounts`), as of ``today``."""
        cr = self.env.cr
        today = today or fields.Date.context_today(self)
        line_filter = SQL("AND l.id = ANY(%s)", line_ids) if line_ids is not None else SQL("")
        # terms whose line lost its maintenance, or whose end moved earlier (a correction)
        cr.execute(
            SQL(
                """
                DELETE FROM maintenance_renewal_term t
                 USING flexnet_entitlement_line l
                 WHERE l.id = t.line_id %s
                   AND (l.maintenance_end IS NULL OR t.date_end > l.maintenance_end)
                RETURNING t.id
                """,
                line_filter,
            )
        )
        if cr.fetchall():  # the database unlinked them from campaigns (quotation lines: below)
            self.env["maintenance.renewal.campaign"].invalidate_model(["term_ids"])
        # the current term of each line, as its line gives it (``wanted``)
        wanted = SQL(
            """
            latest AS (
                SELECT DISTINCT ON (m.parent_id) m.parent_id, m.product_id, m.start_date
                  FROM flexnet_entitlement_line m
                  JOIN flexnet_entitlement_line l ON l.id = m.parent_id
                 WHERE m.line_type = 'maintenance' %(filter)s
                 ORDER BY m.parent_id, m.expiration_date DESC NULLS LAST, m.id DESC
            ), sku AS (
                SELECT DISTINCT ON (t.flexnet_title) t.flexnet_title AS title, pp.id AS product_id
                  FROM product_template t
                  JOIN product_product pp ON pp.product_tmpl_id = t.id AND pp.active
                 WHERE t.flexnet_kind = 'maintenance' AND t.active AND t.flexnet_title IS NOT NULL
                 ORDER BY t.flexnet_title, t.id
            ), src AS (
                SELECT l.id AS line_id, l.partner_id, l.backend_id, b.company_id, l.entitlement_id,
                       l.product_id,
                       COALESCE(CASE WHEN lt.flexnet_kind = 'license' THEN lt.flexnet_product_name
                                     ELSE lt.flexnet_title END, l.product_name) AS title,
                       l.seats, l.maintenance_end, latest.product_id AS maintenance_product_id,
                       latest.start_date, p.user_id, p.country_id, p.flexnet_account_type,
                       %(status)s AS state, GREATEST(%(today)s::date - l.maintenance_end, 0) AS days
                  FROM flexnet_entitlement_line l
                  JOIN flexnet_backend b ON b.id = l.backend_id
                  JOIN res_company c ON c.id = b.company_id
                  JOIN res_partner p ON p.id = l.partner_id
                  LEFT JOIN product_product lp ON lp.id = l.product_id
                  LEFT JOIN product_template lt ON lt.id = lp.product_tmpl_id
                  LEFT JOIN latest ON latest.parent_id = l.id
                 WHERE l.line_type = 'entitlement' AND l.maintenance_end IS NOT NULL %(filter)s
            ), wanted AS (
                SELECT src.*, COALESCE(src.maintenance_product_id, sku.product_id) AS sku_id,
                       GREATEST(COALESCE(src.seats, 0), 1) AS term_seats
                  FROM src LEFT JOIN sku ON sku.title = src.title
            )
            """,
            filter=line_filter,
            # a new term starts with the status of the day: the states step then changes only
            # the terms that were there (renewed ones among them)
            status=self._status_sql(
                SQL("l.maintenance_end"),
                SQL("FALSE"),
                SQL("l.state"),
                SQL("c.renewal_lapse_days"),
                SQL("c.maintenance_grace_days"),
                SQL("b.expiring_days"),
                today,
            ),
            today=today,
        )
        # a new open term is priced as it is inserted (the amounts step would rewrite the row
        # it has just written); the amounts step prices the others, and the new ones without SKU
        prices = {}
        if not reprice:  # else the amounts step prices every open term
            cr.execute(
                SQL(
                    """
                WITH %s
                SELECT DISTINCT cur.company_id, cur.partner_id, cur.sku_id, cur.term_seats
                  FROM wanted cur
                 WHERE cur.sku_id IS NOT NULL AND cur.state IN %s
                   AND NOT EXISTS (SELECT 1 FROM maintenance_renewal_term t
                                    WHERE t.line_id = cur.line_id AND t.date_end = cur.maintenance_end)
                """,
                    wanted,
                    OPEN_STATES,
                )
            )
            prices = self._prices(cr.fetchall(), today)
        keys, amounts = list(prices), list(prices.values())
        # a changed price key (account, product, title, SKU, seats) forgets the amount of a term
        # that was there, priced again by the amounts step
        cr.execute(
            SQL(
                """
                WITH %(wanted)s, prices AS (
                    SELECT * FROM unnest(%(companies)s::int[], %(accounts)s::int[], %(skus)s::int[],
                                         %(seats)s::int[], %(amounts)s::numeric[], %(currencies)s::int[],
                                         %(amounts_company)s::numeric[])
                        AS p(company_id, account_id, product_id, seats, amount, currency_id, amount_company)
                )
                INSERT INTO maintenance_renewal_term AS t
                       (line_id, account_id, backend_id, company_id, entitlement_id, product_id, title,
                        maintenance_product_id, seats, date_start, date_end, user_id, country_id,
                        account_type, state, days_past_due, age_bucket, renewal_rate,
                        amount, currency_id, amount_company,
                        create_uid, write_uid, create_date, write_date)
                SELECT cur.line_id, cur.partner_id, cur.backend_id, cur.company_id, cur.entitlement_id,
                       cur.product_id, cur.title, cur.sku_id, cur.term_seats, cur.start_date,
                       cur.maintenance_end, cur.user_id, cur.country_id, cur.flexnet_account_type,
                       cur.state, %(figures)s, pr.amount, pr.currency_id, pr.amount_company,
                       %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM wanted cur
                  LEFT JOIN prices pr
                    ON cur.state IN %(open)s AND pr.company_id = cur.company_id
                   AND pr.account_id = cur.partner_id AND pr.product_id = cur.sku_id AND pr.seats = cur.term_seats
                ON CONFLICT (line_id, date_end) DO UPDATE
                   SET account_id = EXCLUDED.account_id, entitlement_id = EXCLUDED.entitlement_id,
                       product_id = EXCLUDED.product_id, title = EXCLUDED.title,
                       maintenance_product_id = EXCLUDED.maintenance_product_id, seats = EXCLUDED.seats,
                       date_start = COALESCE(EXCLUDED.date_start, t.date_start),
                       user_id = EXCLUDED.user_id, country_id = EXCLUDED.country_id,
                       account_type = EXCLUDED.account_type,
                       amount = CASE WHEN NOT %(repriced)s THEN t.amount END,
                       amount_company = CASE WHEN NOT %(repriced)s THEN t.amount_company END,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                 WHERE (t.account_id, t.entitlement_id, t.product_id, t.title, t.maintenance_product_id,
                        t.seats, t.date_start)
                       IS DISTINCT FROM (EXCLUDED.account_id, EXCLUDED.entitlement_id, EXCLUDED.product_id,
                                         EXCLUDED.title, EXCLUDED.maintenance_product_id, EXCLUDED.seats,
                                         COALESCE(EXCLUDED.date_start, t.date_start))
                RETURNING t.id
                """,
                wanted=wanted,
                companies=[key[0] for key in keys],
                accounts=[key[1] for key in keys],
                skus=[key[2] for key in keys],
                seats=[key[3] for key in keys],
                amounts=[amount[0] for amount in amounts],
                currencies=[amount[1] for amount in amounts],
                amounts_company=[amount[2] for amount in amounts],
                open=OPEN_STATES,
                uid=self.env.uid,
                figures=self._status_figures_sql(SQL("cur.state"), SQL("cur.days")),
                repriced=SQL(
                    "(t.account_id, t.product_id, t.title, t.maintenance_product_id, t.seats) IS DISTINCT FROM "
                    "(EXCLUDED.account_id, EXCLUDED.product_id, EXCLUDED.title, EXCLUDED.maintenance_product_id, "
                    "EXCLUDED.seats)"
                ),
            )
        )
        changed = len(cr.fetchall())
        self.invalidate_model()  # with the inverse fields: the quotation lines' renewed terms
        return changed

    @api.model
    def _update_states(self, line_ids=None, today=None):
        """Refresh step: status, days past due, age bucket, renewal rate and date of the terms
        (of the lines ``line_ids``), as of ``today`` (default: today); see :meth:`_refresh`."""
        today = today or fields.Date.context_today(self)
        line_filter = SQL("AND t.line_id = ANY(%s)", line_ids) if line_ids is not None else SQL("")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH sold AS (
                    SELECT DISTINCT sol.renewal_term_id AS term_id
                      FROM sale_order_line sol
                      JOIN sale_order so ON so.id = sol.order_id
                     WHERE so.state = 'sale' AND sol.renewal_term_id IN (
                               SELECT t.id FROM maintenance_renewal_term t WHERE true %(filter)s)
                ), s AS MATERIALIZED (
                    SELECT t.id, %(status)s AS state, GREATEST(%(today)s::date - t.date_end, 0) AS days
                      FROM maintenance_renewal_term t
                      JOIN flexnet_entitlement_line l ON l.id = t.line_id
                      JOIN flexnet_backend b ON b.id = t.backend_id
                      JOIN res_company c ON c.id = t.company_id
                      LEFT JOIN sold ON sold.term_id = t.id
                     WHERE true %(filter)s
                ), v AS (
                    SELECT s.id, s.state, %(figures)s
                      FROM s
                )
                UPDATE maintenance_renewal_term t
                   SET state = v.state, days_past_due = v.days, age_bucket = v.bucket, renewal_rate = v.rate,
                       renewal_date = CASE WHEN v.state = 'renewed' THEN COALESCE(t.renewal_date, %(today)s::date)
                                      END
                  FROM v
                 WHERE v.id = t.id
                   AND (t.state, t.days_past_due, t.age_bucket, t.renewal_rate)
                       IS DISTINCT FROM (v.state, v.days, v.bucket, v.rate)
                """,
                today=today,
                filter=line_filter,
                status=self._status_sql(
                    SQL("t.date_end"),
                    SQL("l.maintenance_end > t.date_end OR sold.term_id IS NOT NULL"),
                    SQL("l.state"),
                    SQL("c.renewal_lapse_days"),
                    SQL("c.maintenance_grace_days"),
                    SQL("b.expiring_days"),
                    today,
                ),
                figures=self._status_figures_sql(SQL("s.state"), SQL("s.days")),
            )
        )
        self.invalidate_model(["state", "days_past_due", "age_bucket", "renewal_rate", "renewal_date"])

    @api.model
    def _update_amounts(self, which="missing", line_ids=None, today=None):
        """Refresh step: price open terms, the maintenance SKU on the account's pricelist, per
        seat (see :meth:`_refresh`).

        ``which="missing"`` prices terms without an amount; ``None`` all open terms. One
        pricelist computation per (company, pricelist, seats) group, one UPDATE per batch.
        """
        conditions = [SQL("t.state IN %s", OPEN_STATES)]
        if which == "missing":
            conditions.append(SQL("t.amount IS NULL"))
        if line_ids is not None:
            conditions.append(SQL("t.line_id = ANY(%s)", list(line_ids)))
        self.env.cr.execute(
            SQL(
                "SELECT t.id, t.company_id, t.account_id, t.maintenance_product_id, t.seats, t.amount, "
                "t.currency_id, t.amount_company FROM maintenance_renewal_term t WHERE %s",
                SQL(" AND ").join(conditions),
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return 0
        prices = self._prices(
            {
                (company_id, account_id, product_id, seats)
                for _id, company_id, account_id, product_id, seats, *_rest in rows
            },
            today,
        )
        updates = []
        for term_id, company_id, account_id, product_id, seats, *current in rows:
            new = prices[(company_id, account_id, product_id, seats)]
            if new != tuple(current):
                updates.append((term_id, *new))
        for start in range(0, len(updates), _AMOUNT_BATCH):
            chunk = updates[start : start + _AMOUNT_BATCH]
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE maintenance_renewal_term t
                       SET amount = v.amount, currency_id = v.currency_id, amount_company = v.amount_company
                      FROM (VALUES %s) AS v(id, amount, currency_id, amount_company)
                     WHERE v.id = t.id
                    """,
                    SQL(", ").join(SQL("(%s, %s::numeric, %s, %s::numeric)", *u) for u in chunk),
                )
            )
        self.invalidate_model(["amount", "currency_id", "amount_company"])
        return len(updates)

    @api.model
    def _prices(self, keys, today=None):
        """The renewal amounts of maintenance terms: ``{(company id, account id, maintenance SKU
        id, seats): (amount, currency id, amount in company currency)}`` for each such key of
        ``keys`` (see *Amounts* in :meth:`_refresh`). One pricelist computation per (company,
        pricelist, seats) group; each group's amount rounded and converted once. Prices and
        rates of ``today`` (default: today)."""
        today = today or fields.Date.context_today(self)
        by_company = defaultdict(set)
        for key in keys:
            by_company[key[0]].add(key)
        result = {}
        for company_id, company_keys in by_company.items():
            company = self.env["res.company"].browse(company_id)
            env = self.with_company(company).env
            partners = env["res.partner"].browse({key[1] for key in company_keys})
            pricelist_of = {p.id: p.property_product_pricelist for p in partners}
            groups = defaultdict(set)
            for _company, account_id, product_id, seats in company_keys:
                if product_id:
                    groups[(pricelist_of[account_id], seats)].add(product_id)
            prices = {}
            for (pricelist, seats), product_ids in groups.items():
                currency = pricelist.currency_id or company.currency_id
                products = env["product.product"].browse(product_ids)
                found = pricelist._get_products_price(products, quantity=seats, currency=currency, date=today)
                for product_id, price in found.items():
                    prices[(pricelist.id, seats, product_id)] = (price, currency)
            amounts = {}
            for key in company_keys:
                _company, account_id, product_id, seats = key
                group = (pricelist_of[account_id].id, seats, product_id)
                if group not in amounts:
                    price, currency = prices.get(group, (0.0, company.currency_id))
                    rounded = currency.round(price * seats)
                    amounts[group] = (
                        rounded,
                        currency.id,
                        currency._convert(rounded, company.currency_id, company, today),
                    )
                result[key] = amounts[group]
        return result

    @api.model
    def _cron_refresh(self):
        self.sudo()._refresh(reprice=True)

    def action_refresh(self):
        """Menu button: recompute the installed base now (renewal managers)."""
        if not self.env.user.has_group("maintenance_renewal.group_renewal_manager"):
            raise AccessError(self.env._("Only renewal managers refresh the installed base."))
        count = self.env["maintenance.renewal.term"].sudo()._refresh(reprice=True)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("Maintenance terms are up to date (%s changed).", count),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
