from odoo import fields, models


class MediaProductionSite(models.Model):
    _inherit = "media.production.site"

    bom_ids = fields.Many2many(
        "mrp.bom", "mrp_bom_production_site_rel", "site_id", "bom_id", "BOMs produced here"
    )
    bom_vendor_ids = fields.Many2many(
        "res.partner", "res_partner_bom_site_rel", "site_id", "partner_id", "Vendors of the site"
    )

    def write(self, vals):
        # the vendors of a site see its BOMs
        res = super().write(vals)
        if {"bom_ids", "bom_vendor_ids"}.intersection(vals):
            self.env["mrp.bom"]._refresh_vendor_access()
        return res

    def unlink(self):
        # the site's vendors lose what they saw through it at once, not at the nightly run
        boms = self.with_context(active_test=False).bom_ids
        res = super().unlink()
        self.env["mrp.bom"]._refresh_vendor_access(bom_ids=boms.ids)
        return res
