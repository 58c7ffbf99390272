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
        # deleting a category deletes its sub-categories and leaves their products without a
        # category: the vendors who saw those BOMs through any of them lose them at once
        boms = (
            self.env["mrp.bom"]
            .with_context(active_test=False)
            .search([("product_tmpl_id.categ_id", "child_of", self.ids)])
        )
        vendors = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("bom_vendor_categ_ids", "child_of", self.ids)])
        )
        res = super().unlink()
        self.env["mrp.bom"]._refresh_vendor_access(bom_ids=boms.ids)
        self.env["mrp.bom"]._refresh_vendor_access(partner_ids=vendors.ids)
        return res
