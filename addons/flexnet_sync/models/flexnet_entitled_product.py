from odoo import api, fields, models
from odoo.tools import SQL


class FlexnetEntitledProduct(models.Model):
    """Which products each account (commercial partner) is entitled to, and until when.

    Kept exact by the sync engine after every page (``_refresh``) so that the shop and the
    renewal reports answer "is this customer entitled to X" with one indexed join.
    """

    _name = "flexnet.entitled.product"
    _description = "FlexNet Entitled Product"
    _log_access = False
    _order = "partner_id, product_id"

    partner_id = fields.Many2one("res.partner", "Account", required=True, ondelete="cascade", readonly=True)
    product_id = fields.Many2one(
        "product.product", required=True, ondelete="cascade", readonly=True, index=True
    )
    backend_id = fields.Many2one("flexnet.backend", required=True, ondelete="cascade", readonly=True)
    seats = fields.Integer(readonly=True)
    date_end = fields.Date("Valid until", readonly=True, help="Empty when the entitlement is permanent.")
    # kept on the row so "which titles is this account entitled to" reads one table
    product_name = fields.Char(related="product_id.product_tmpl_id.flexnet_product_name", store=True)

    _partner_product_unique = models.Constraint(
        "UNIQUE(partner_id, product_id, backend_id)", "One row per account, product and backend."
    )

    @api.model
    def _refresh(self, partner_ids):
        """Recompute the rows of these accounts from their entitlement lines."""
        partner_ids = list(set(partner_ids))
        if not partner_ids:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL("DELETE FROM flexnet_entitled_product WHERE partner_id = ANY(%s)", partner_ids)
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO flexnet_entitled_product
                       (partner_id, product_id, backend_id, seats, date_end, product_name)
                SELECT l.partner_id, l.product_id, l.backend_id, SUM(l.seats),
                       CASE WHEN BOOL_OR(l.is_permanent) THEN NULL ELSE MAX(l.expiration_date) END,
                       MIN(t.flexnet_product_name)
                  FROM flexnet_entitlement_line l
                  JOIN product_product p ON p.id = l.product_id
                  JOIN product_template t ON t.id = p.product_tmpl_id
                 WHERE l.partner_id = ANY(%s) AND l.line_type = 'entitlement' AND l.product_id IS NOT NULL
                   AND COALESCE(l.state, '') NOT IN ('INACTIVE', 'OBSOLETE')
                 GROUP BY l.partner_id, l.product_id, l.backend_id
                """,
                partner_ids,
            )
        )
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
