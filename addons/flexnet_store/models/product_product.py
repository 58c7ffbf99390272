from odoo import fields, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    # searched by the shop's gating domain on behalf of any visitor; the domain itself
    # restricts the rows to the visitor's own account
    flexnet_entitled_ids = fields.One2many(
        "flexnet.entitled.product", "product_id", "Entitled accounts", bypass_search_access=True
    )

    def _flexnet_allowed_for(self, partner):
        """The products of ``self`` that ``partner``'s account may buy."""
        if not self:
            return self
        return self.with_context(active_test=False).filtered_domain(
            self.env["product.template"]._flexnet_gating_domain(partner, template_field="product_tmpl_id")
        )
