from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.flexnet_sync.sync.mapper import REMOVED
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

# the lines an account sees: FlexNet's (a line FlexNet no longer has is not the customer's)
PORTAL_LINES = [("line_type", "=", "entitlement"), ("state", "!=", REMOVED)]


class FlexnetEntitlementPortal(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "flexnet_entitlement_count" in counters:
            Line = request.env["flexnet.entitlement.line"]
            values["flexnet_entitlement_count"] = (
                Line.search_count(PORTAL_LINES) if Line.has_access("read") else 0
            )
        return values

    @http.route(
        ["/my/entitlements", "/my/entitlements/page/<int:page>"], type="http", auth="user", website=True
    )
    def portal_my_entitlements(self, page=1, **kwargs):
        # no sudo: the record rules keep each account to its own lines
        Line = request.env["flexnet.entitlement.line"]
        domain = PORTAL_LINES
        count = Line.search_count(domain)
        pager = portal_pager(url="/my/entitlements", total=count, page=page, step=self._items_per_page)
        lines = Line.search(
            domain, limit=self._items_per_page, offset=pager["offset"], order="entitlement_id desc, id"
        )
        return request.render(
            "flexnet_store.portal_my_entitlements",
            {
                # the account's own lines, found above as the user; shown as superuser so that a
                # product the shop no longer sells them (gating) still has its name on the page
                "lines": lines.sudo(),
                "pager": pager,
                "page_name": "flexnet_entitlements",
                "actions": self._entitlement_actions(lines),
                "default_url": "/my/entitlements",
            },
        )

    @http.route("/my/entitlements/<int:line_id>", type="http", auth="user", website=True)
    def portal_my_entitlement(self, line_id, **kwargs):
        try:
            line = request.env["flexnet.entitlement.line"].browse(line_id).exists()
            line.check_access("read")
        except (AccessError, MissingError):
            return request.redirect("/my")
        # as on the list: the account's lines FlexNet has (its maintenance items show on them)
        if not line.filtered_domain(PORTAL_LINES):
            return request.redirect("/my")
        return request.render(
            "flexnet_store.portal_my_entitlement",
            {
                "line": line.sudo(),  # checked above: the user's own line (names as on the list)
                "actions": self._entitlement_actions(line),
                "page_name": "flexnet_entitlements",
            },
        )

    def _entitlement_actions(self, lines):
        """Per line: the products (seats, maintenance, media kit) of its title the customer may buy."""
        lines = lines.sudo()  # the user's own lines; their products may be ones the shop hides
        titles = [t for t in lines.product_id.product_tmpl_id.mapped("flexnet_product_name") if t]
        if not titles:
            return {}
        domain = [
            ("flexnet_title", "in", titles),
            ("flexnet_kind", "in", ("seats", "maintenance", "media_kit", "addon")),
        ]
        shop_domain = request.website.sale_product_domain()
        products = request.env["product.template"].search(domain + list(shop_domain))
        by_title = {}
        for product in products:
            by_title.setdefault(product.flexnet_title, []).append(product)
        return {
            line.id: by_title.get(line.product_id.product_tmpl_id.flexnet_product_name, []) for line in lines
        }
