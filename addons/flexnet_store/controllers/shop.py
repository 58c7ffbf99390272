from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

from odoo.addons.website_sale.controllers.main import WebsiteSale


class FlexnetWebsiteSale(WebsiteSale):
    @http.route()
    def shop(self, *args, **kwargs):
        redirect = self._flexnet_partner_website_redirect()
        return redirect or super().shop(*args, **kwargs)

    @http.route()
    def product(self, product, category=None, pricelist=None, **kwargs):
        """A product the visitor may not buy does not exist for them (404)."""
        if not request.env.user._is_internal() and not product.filtered_domain(
            request.website._product_domain()
        ):
            raise NotFound()
        return super().product(product, category=category, pricelist=pricelist, **kwargs)

    def _flexnet_partner_website_redirect(self):
        """Members of accounts whose type has a website of its own are sent there."""
        user = request.env.user
        if user._is_public() or user._is_internal():
            return None
        term = request.env["flexnet.store.account.term"]._for_partner(user.partner_id, request.website)
        target = term.redirect_website_id
        if target and target != request.website:
            return request.redirect(f"{target.get_base_url()}{request.httprequest.full_path}", local=False)
        return None
