from odoo import models


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _flexnet_allowed_for(self, partner):
        """The products of ``self`` that ``partner``'s account may buy."""
        if not self:
            return self
        return self.with_context(active_test=False).filtered_domain(
            self.env["product.template"]._flexnet_gating_domain(partner, template_field="product_tmpl_id")
        )
