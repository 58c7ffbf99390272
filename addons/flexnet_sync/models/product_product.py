from odoo import models


class ProductProduct(models.Model):
    _inherit = "product.product"

    def unlink(self):
        res = super().unlink()  # their entitlement lines lose their product
        self.env["flexnet.entitled.product"]._sources_changed()
        return res
