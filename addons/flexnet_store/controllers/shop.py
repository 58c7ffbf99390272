from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
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

    @http.route("/shop/renew", type="http", auth="user", methods=["POST"], website=True, sitemap=False)
    def flexnet_renew(self, line_id=None, product_id=None, **kwargs):
        """Put the renewal of one of the account's entitlement lines in the cart: the maintenance
        product of its title (``product_id`` when the title has several), for the line's seats.
        A line already renewed in this cart stays as it is."""
        try:
            line = self._flexnet_own_line(line_id)
            product = self._flexnet_renewal_product(line, product_id)
            order_sudo = request.cart or request.website._create_cart()
            if not order_sudo.order_line.filtered(
                lambda sol: (
                    sol.flexnet_parent_line_id == line and sol.product_id.flexnet_kind == "maintenance"
                )
            ):
                order_sudo._cart_add(
                    product.id, quantity=max(line.seats or 0, 1), flexnet_parent_line_id=line.id
                )
        except UserError as exc:
            return request.render("flexnet_store.flexnet_error_page", {"message": str(exc)}, status=400)
        return request.redirect("/shop/cart")

    def _flexnet_own_line(self, line_id):
        """The entitlement line ``line_id`` if the signed-in user's account owns it (record rules)."""
        refused = UserError(request.env._("This entitlement line cannot be renewed from your account."))
        if not (isinstance(line_id, str) and line_id.isascii() and line_id.isdecimal() and len(line_id) < 10):
            raise refused
        line = request.env["flexnet.entitlement.line"].browse(int(line_id))
        try:
            line = line.exists()
            line.check_access("read")
        except (AccessError, MissingError):
            raise refused from None
        if not line or line.line_type != "entitlement":
            raise refused
        return line

    def _flexnet_renewal_product(self, line, product_id=None):
        """The maintenance product the shop sells the user to renew ``line``."""
        products = request.env["product.template"]._flexnet_renewal_products(line)
        if product_id:
            products = products.filtered(lambda p: str(p.id) == str(product_id))
        if not products:
            raise UserError(request.env._("No maintenance renews this line in the shop."))
        return products[0]
