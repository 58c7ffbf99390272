from odoo import models


class ProductCategory(models.Model):
    _inherit = "product.category"

    def write(self, vals):
        res = super().write(vals)
        if "parent_id" in vals:
            # a moved category takes its products' BOMs away from the vendors of its old parents
            self.env["mrp.bom"]._refresh_vendor_access()
        return res

    def unlink(self):
        # the vendors assigned a removed category lose its BOMs at once
        vendors = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("bom_vendor_categ_ids", "in", self.ids)])
        )
        res = super().unlink()
        self.env["mrp.bom"]._refresh_vendor_access(partner_ids=vendors.ids)
        return res
