from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..models.flexnet_entitlement_line import ENTITLED_SOURCES
from ..sync.mapper import CLOSED_LINE_STATES

# what the view reads: flushed before any query on it; a write of one of them, or a deletion
# of such records, calls _sources_changed
SOURCE_FIELDS = {
    "flexnet.entitlement.line": sorted(ENTITLED_SOURCES),
    "product.product": ["product_tmpl_id"],
    "product.template": ["flexnet_product_name"],
}


class FlexnetEntitledProduct(models.Model):
    """Which products each account is entitled to, and until when: a SQL view.

    Invariant (holds by construction, there is nothing to refresh): one row per account
    (``partner_id``, the entitlement line's account), product and backend having at least one
    entitlement line (not maintenance) whose state is not INACTIVE, OBSOLETE or REMOVED (FlexNet no
    longer has it, see the synchronisation's reconciliation), with the
    backend's company (``company_id``, the lines' own: readers see their companies' rows); ``seats`` is
    the sum of those lines' seats, ``date_end`` the latest expiration date, or empty when one
    of them is permanent; ``product_name`` is the product's FlexNet product name.

    A query on one account reads only that account's lines (the view's grouping columns let
    PostgreSQL push ``partner_id = ...`` down onto the index of entitlement lines by account
    and product), so the shop and the renewal reports answer "is this customer entitled to X"
    in one indexed query, whatever the number of accounts.
    """

    _name = "flexnet.entitled.product"
    _description = "FlexNet Entitled Product"
    _auto = False
    _log_access = False
    _order = "partner_id, product_id"

    partner_id = fields.Many2one("res.partner", "Account", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    backend_id = fields.Many2one("flexnet.backend", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    seats = fields.Integer(readonly=True)
    date_end = fields.Date("Valid until", readonly=True, help="Empty when the entitlement is permanent.")
    product_name = fields.Char(readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %(view)s AS
                SELECT MIN(l.id) AS id,
                       l.partner_id,
                       l.product_id,
                       l.backend_id,
                       l.company_id,
                       SUM(COALESCE(l.seats, 0))::integer AS seats,
                       CASE WHEN BOOL_OR(l.is_permanent) THEN NULL ELSE MAX(l.expiration_date) END AS date_end,
                       MIN(t.flexnet_product_name) AS product_name
                  FROM flexnet_entitlement_line l
                  JOIN product_product p ON p.id = l.product_id
                  JOIN product_template t ON t.id = p.product_tmpl_id
                 WHERE l.line_type = 'entitlement'
                   AND COALESCE(l.state, '') NOT IN %(inactive)s
                 GROUP BY l.partner_id, l.product_id, l.backend_id, l.company_id
                """,
                view=SQL.identifier(self._table),
                inactive=CLOSED_LINE_STATES,
            )
        )

    def flush_model(self, fnames=None):
        # every ORM query on the view flushes the view's fields: have it flush what they are
        # made of, so that a search sees the lines written earlier in the transaction
        for model, names in SOURCE_FIELDS.items():
            self.env[model].flush_model(names)
        return super().flush_model(fnames)

    @api.model
    def _sources_changed(self):
        """What the view reads changed: forget its rows read so far in this transaction (their
        ids are their first line's, the values behind an id change). The one hook for whatever
        depends on what accounts are entitled to; called by the writes of ``SOURCE_FIELDS``
        and by the deletions of lines, entitlements and products."""
        self.invalidate_model()

    @api.model
    def _entitled_domain(self, partner, on_date=None):
        """Domain on product.product: products ``partner``'s account is entitled to today."""
        on_date = on_date or fields.Date.context_today(self)
        commercial = partner.commercial_partner_id
        return [
            (
                "id",
                "in",
                self._search(
                    [
                        ("partner_id", "=", commercial.id),
                        "|",
                        ("date_end", "=", False),
                        ("date_end", ">=", on_date),
                    ]
                ).subselect("product_id"),
            )
        ]
