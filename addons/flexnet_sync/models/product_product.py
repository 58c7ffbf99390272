from odoo import models


class ProductProduct(models.Model):
    _inherit = "product.product"

    def write(self, vals):
        res = super().write(vals)
        if "product_tmpl_id" in vals:  # the FlexNet product name of its lines comes from the template
            self.env["flexnet.entitled.product"]._sources_changed()
        return res

    def unlink(self):
        res = super().unlink()  # their entitlement lines lose their product
        self.env["flexnet.entitled.product"]._sources_changed()
        return res
