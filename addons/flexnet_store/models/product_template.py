from odoo import api, fields, models
from odoo.fields import Domain
from odoo.http import request
from odoo.tools import SQL

from odoo.addons.flexnet_sync.sync.mapper import CLOSED_LINE_STATES
from odoo.addons.website.models import ir_http

GATED_KINDS = ("addon", "seats", "maintenance", "media_kit")
GATING_FIELDS = {
    "flexnet_gating",
    "flexnet_required_product_ids",
    "flexnet_account_type_ids",
    "flexnet_title",
}
# What an account may buy, kept for the transaction (a page evaluates the domain several
# times) in the cursor's cache, which Odoo empties with the transaction's caches at every
# commit, rollback and savepoint rollback (``Transaction.clear``): a transaction retried after
# a serialization failure reads what is committed then. Within the transaction it is cleared
# by every write that can change it: product gating fields and account types here,
# entitlements through flexnet.entitled.product's _sources_changed hook. (Not the precommit
# data: a flush that runs precommit callbacks empties it, several times per request.)
GATING_CACHE = "flexnet_store.gating"


def _gating_cache(env):
    return env.cr.cache.setdefault(GATING_CACHE, {})


def clear_gating_cache(env):
    """Forget what accounts may buy: to call whenever what ``_flexnet_gating_data`` reads changes."""
    env.cr.cache.pop(GATING_CACHE, None)


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
        # required in the form only: a NOT NULL column on product_template would break every
        # other module that creates products while this one is not loaded (their own tests on
        # an update, data files); an empty value means open
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
        "flexnet.account.type",
        string="Account types allowed",
        help="Leave empty for every account type.",
    )

    # the record rule product_template_rule_flexnet_gating reads this: RPC, combination info
    # and every other read show customers only what the shop would show them
    flexnet_buyable = fields.Boolean(
        "Buyable by me",
        compute="_compute_flexnet_buyable",
        search="_search_flexnet_buyable",
        help="Whether the current user's FlexNet account may see and buy this product.",
    )

    @api.depends_context("uid", "website_id")
    def _compute_flexnet_buyable(self):
        allowed = self.filtered_domain(self._flexnet_buyable_domain())
        for template in self:
            template.flexnet_buyable = template in allowed

    def _search_flexnet_buyable(self, operator, value):
        if operator != "in":
            return NotImplemented
        domain = self._flexnet_buyable_domain()
        return domain if True in value else ~domain

    @api.model
    def _flexnet_buyable_domain(self):
        """What the current user may see of the catalog: everything for internal users, the
        shop's gating for portal users and visitors (their own account's entitlements)."""
        user = self.env.user
        if user._is_internal() or user._is_superuser():
            return Domain.TRUE
        # a website with gating switched off shows its visitors everything it publishes
        website = self._flexnet_request_website()
        if website is not None and not website.flexnet_gating:
            return Domain.TRUE
        return self.sudo()._flexnet_gating_domain(user.sudo().partner_id)

    @api.model
    def _flexnet_request_website(self):
        """The website serving the current web request, None outside one (RPC, crons, shell).

        Odoo sets ``request.website`` only once the route's record arguments passed their
        access check (a product page's ``product.template``): that check reads the website
        the request was routed to (``request.website_routing``, chosen from the same session
        and host as ``request.website``), or an ungated website would answer 404 on the
        pages of products its visitor's account is not entitled to."""
        if not request:
            return None
        if website := ir_http.get_request_website():
            return website
        website_id = getattr(request, "website_routing", None)
        if isinstance(website_id, int) and getattr(request, "is_frontend", False) is True:
            # a website deleted meanwhile gates (None: as outside any website)
            return self.env["website"].sudo().browse(website_id).exists() or None
        return None

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # products synchronised from FlexNet: add-ons, seats, maintenance and media kits
            # are for customers entitled to their title; they are published, gated
            if vals.get("flexnet_backend_id") and vals.get("flexnet_kind"):
                if vals["flexnet_kind"] in GATED_KINDS:
                    vals.setdefault("flexnet_gating", "title")
                vals.setdefault("is_published", True)
        clear_gating_cache(self.env)
        return super().create(vals_list)

    def write(self, vals):
        if GATING_FIELDS.intersection(vals):
            clear_gating_cache(self.env)
        return super().write(vals)

    @api.model
    def _flexnet_gating_domain(self, partner, on_date=None, template_field="id"):
        """Domain (on product.template, or on product.product with ``template_field``
        ``"product_tmpl_id"``) of what ``partner`` may buy.

        One query reads what the account's entitlements open up (titles, templates gated
        by given products, templates closed to its account type); the resulting domain is
        plain column comparisons, cheap for PostgreSQL to plan and run on every row.
        """
        commercial = partner.commercial_partner_id
        on_date = on_date or fields.Date.context_today(self)
        company = self.env.company
        key = (commercial.id, commercial.flexnet_account_type, str(on_date), company.id)
        cache = _gating_cache(self.env)
        if key not in cache:
            cache[key] = self._flexnet_gating_data(commercial, on_date, company)
        titles, by_products, closed = cache[key]
        domain = (
            Domain("flexnet_gating", "=", "open")
            | Domain("flexnet_gating", "=", False)
            | (Domain("flexnet_gating", "=", "entitled") & (Domain.TRUE if titles else Domain.FALSE))
            | (
                Domain("flexnet_gating", "=", "title")
                & Domain("flexnet_title", "in", [t for t in titles if t])
            )
            | (Domain("flexnet_gating", "=", "products") & Domain(template_field, "in", by_products))
        )
        if closed:
            domain &= Domain(template_field, "not in", closed)
        return domain

    @api.model
    def _flexnet_gating_data(self, commercial, on_date, company):
        """(titles entitled, template ids opened by required products, template ids closed
        to the account type) for the commercial partner ``commercial``, in one query. Only
        the entitlements of ``company``'s FlexNet backends count: an account entitled in
        another company's FlexNet buys nothing more here."""
        self.env["flexnet.entitled.product"].flush_model()  # and the lines it is made of
        self.flush_model(["flexnet_required_product_ids", "flexnet_account_type_ids"])
        self.env["flexnet.account.type"].flush_model(["code"])
        required = self._fields["flexnet_required_product_ids"]
        types = self._fields["flexnet_account_type_ids"]
        self.env.cr.execute(
            SQL(
                """
                WITH valid AS (
                    SELECT e.product_id, e.product_name
                      FROM flexnet_entitled_product e
                     WHERE e.partner_id = %(partner)s
                       AND e.company_id = %(company)s
                       AND (e.date_end IS NULL OR e.date_end >= %(on_date)s)
                )
                SELECT
                    ARRAY(SELECT DISTINCT COALESCE(valid.product_name, '') FROM valid),
                    ARRAY(SELECT DISTINCT r.%(req_tmpl)s
                            FROM %(req_table)s r
                            JOIN valid ON valid.product_id = r.%(req_product)s),
                    ARRAY(SELECT DISTINCT r.%(type_tmpl)s
                            FROM %(type_table)s r
                           WHERE NOT EXISTS (
                                 SELECT 1
                                   FROM %(type_table)s r2
                                   JOIN flexnet_account_type a ON a.id = r2.%(type_type)s
                                  WHERE r2.%(type_tmpl)s = r.%(type_tmpl)s AND a.code = %(code)s))
                """,
                partner=commercial.id or 0,
                company=company.id,
                on_date=on_date,
                req_table=SQL.identifier(required.relation),
                req_tmpl=SQL.identifier(required.column1),
                req_product=SQL.identifier(required.column2),
                type_table=SQL.identifier(types.relation),
                type_tmpl=SQL.identifier(types.column1),
                type_type=SQL.identifier(types.column2),
                code=commercial.flexnet_account_type or "",
            )
        )
        titles, by_products, closed = self.env.cr.fetchone()
        return titles, by_products, closed

    @api.model
    def _flexnet_renewal_products(self, line):
        """The maintenance products (variants) the current user may buy on the current website to
        renew the entitlement line ``line``: those of its title, sold by the shop."""
        title = line.sudo().product_id.product_tmpl_id.flexnet_product_name
        if not title:
            return self.env["product.product"]
        website = self.env["website"].get_current_website()
        templates = self.search(
            [
                ("flexnet_kind", "=", "maintenance"),
                ("flexnet_title", "=", title),
                *website.sale_product_domain(),
            ]
        )
        return templates.product_variant_ids.filtered("sale_ok")

    def _flexnet_renewable_lines(self):
        """The current user's entitlement lines this maintenance product renews (record rules
        keep them to the user's account): what its page offers to renew."""
        self.ensure_one()
        if self.flexnet_kind != "maintenance" or not self.flexnet_title or self.env.user._is_public():
            return self.env["flexnet.entitlement.line"]
        # the title is matched as superuser (the user may not read every product of their
        # lines), the lines themselves are searched as the user
        Line = self.env["flexnet.entitlement.line"]
        titled = Line.sudo().search(
            [
                ("line_type", "=", "entitlement"),
                ("state", "not in", list(CLOSED_LINE_STATES)),
                ("partner_id", "=", self.env.user.partner_id.commercial_partner_id.id),
                ("product_id.product_tmpl_id.flexnet_product_name", "=", self.flexnet_title),
            ]
        )
        return Line.search([("id", "in", titled.ids)])
