from odoo import models


class ProductCategory(models.Model):
    _inherit = "product.category"

    def _bom_vendor_access_boms(self):
        """BOMs of the products in these categories and their sub-categories, archived ones
        included: the BOMs whose vendor access follows these categories' place in the tree."""
        templates = (
            self.env["product.template"]
            .with_context(active_test=False)
            .search([("categ_id", "child_of", self.ids)])
        )
        return (
            self.env["mrp.bom"]
            .with_context(active_test=False)
            .search([("product_tmpl_id", "in", templates.ids)])
        )

    def write(self, vals):
        res = super().write(vals)
        if "parent_id" in vals:
            # a moved category (its parent_path, and its sub-categories') takes its products'
            # BOMs away from the vendors of its old parents and to those of its new ones
            self.env["mrp.bom"]._refresh_vendor_access(bom_ids=self._bom_vendor_access_boms().ids)
        return res

    def unlink(self):
        # deleting a category deletes its sub-categories and leaves their products without a
        # category: the vendors who saw those BOMs through any of them lose them at once (a
        # vendor assigned one of them saw nothing else through it)
        boms = self._bom_vendor_access_boms()
        res = super().unlink()
        self.env["mrp.bom"]._refresh_vendor_access(bom_ids=boms.ids)
        return res
