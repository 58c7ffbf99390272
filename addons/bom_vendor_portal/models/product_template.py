from odoo import models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def write(self, vals):
        res = super().write(vals)
        if "categ_id" in vals:
            # vendors assigned a category see the BOMs of its products (a variant's category
            # is its template's: writing it on a variant comes here)
            boms = (
                self.env["mrp.bom"]
                .with_context(active_test=False)
                .search([("product_tmpl_id", "in", self.ids)])
            )
            self.env["mrp.bom"]._refresh_vendor_access(bom_ids=boms.ids)
        return res
