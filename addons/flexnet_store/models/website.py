from odoo import fields, models
from odoo.fields import Domain
from odoo.http import request


class Website(models.Model):
    _inherit = "website"

    flexnet_gating = fields.Boolean(
        "Gate the catalog by FlexNet entitlements",
        default=True,
        help="Visitors see and buy only what their account's FlexNet entitlements allow; "
        "public visitors see products open to everyone.",
    )
    flexnet_account_term_ids = fields.One2many(
        "flexnet.store.account.term", "website_id", "Account type terms"
    )

    def _product_domain(self):
        """Listing, search, category counts, snippets and add-to-cart all pass here."""
        domain = super()._product_domain()
        website = self.get_current_website() if not self else self[:1]
        if not website.flexnet_gating or self.env.user._is_internal():
            return domain
        partner = self.env.user.partner_id
        cart = getattr(request, "cart", None) if request else None
        # request.cart is website_sale's lazy cart (a sale.order); anything else (no shop
        # request, a test double) is not a cart and leaves the user's own partner
        if (
            cart is not None
            and getattr(cart, "_name", None) == "sale.order"
            and not self.env.user._is_public()
        ):
            partner = cart.partner_id or partner
        return Domain.AND([domain, self.env["product.template"]._flexnet_gating_domain(partner)])
