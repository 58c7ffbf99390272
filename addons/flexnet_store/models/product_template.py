from odoo import api, fields, models
from odoo.fields import Domain

GATED_KINDS = ("addon", "seats", "maintenance", "media_kit")


class ProductTemplate(models.Model):
    _inherit = "product.template"

    flexnet_gating = fields.Selection(
        [
            ("open", "Open to everyone"),
            ("entitled", "Entitled customers only"),
            ("title", "Customers entitled to the software title"),
            ("products", "Customers entitled to given products"),
        ],
        "Shop access",
        default="open",
        required=True,
        help="Who may see and buy this product in the web shop, from their FlexNet entitlements.",
    )
    flexnet_required_product_ids = fields.Many2many(
        "product.product",
        "product_template_flexnet_required_rel",
        "template_id",
        "product_id",
        "Requires an entitlement to",
        help="Any one of these products entitles the customer to buy this one.",
    )
    flexnet_account_type_ids = fields.Many2many(
        "flexnet.store.account.type",
        string="Account types allowed",
        help="Leave empty for every account type.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # products synchronised from FlexNet: add-ons, seats, maintenance and media kits
            # are for customers entitled to their title; they are published, gated
            if vals.get("flexnet_backend_id") and vals.get("flexnet_kind"):
                if vals["flexnet_kind"] in GATED_KINDS:
                    vals.setdefault("flexnet_gating", "title")
                vals.setdefault("is_published", True)
        return super().create(vals_list)

    @api.model
    def _flexnet_gating_domain(self, partner, on_date=None):
        """Domain (on product.template or product.product) of what ``partner`` may buy.

        One query gives the titles and the account's entitlement state; everything else is
        a SQL-level domain, evaluated with the product search itself.
        """
        commercial = partner.commercial_partner_id
        on_date = on_date or fields.Date.context_today(self)
        valid = Domain("partner_id", "=", commercial.id) & (
            Domain("date_end", "=", False) | Domain("date_end", ">=", on_date)
        )
        titles = []
        has_any = False
        if commercial.id:
            self.env["flexnet.entitled.product"].flush_model()
            self.env.cr.execute(
                """
                SELECT DISTINCT COALESCE(t.flexnet_product_name, '')
                  FROM flexnet_entitled_product e
                  JOIN product_product p ON p.id = e.product_id
                  JOIN product_template t ON t.id = p.product_tmpl_id
                 WHERE e.partner_id = %s AND (e.date_end IS NULL OR e.date_end >= %s)
                """,
                (commercial.id, on_date),
            )
            titles = [row[0] for row in self.env.cr.fetchall()]
            has_any = bool(titles)
        domain = (
            Domain("flexnet_gating", "=", "open")
            | (Domain("flexnet_gating", "=", "entitled") & (Domain.TRUE if has_any else Domain.FALSE))
            | (
                Domain("flexnet_gating", "=", "title")
                & Domain("flexnet_title", "in", [t for t in titles if t])
            )
            | (
                Domain("flexnet_gating", "=", "products")
                & Domain("flexnet_required_product_ids", "any", Domain("flexnet_entitled_ids", "any", valid))
            )
        )
        account_type = commercial.flexnet_account_type
        type_domain = Domain("flexnet_account_type_ids", "=", False)
        if account_type:
            type_domain |= Domain("flexnet_account_type_ids.code", "=", account_type)
        return domain & type_domain
