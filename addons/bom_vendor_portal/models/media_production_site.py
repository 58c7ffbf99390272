from odoo import api, fields, models

# the site's fields the vendor access follows (see mrp.bom._refresh_vendor_access)
SITE_ACCESS_FIELDS = {"bom_ids", "bom_vendor_ids", "active"}


class MediaProductionSite(models.Model):
    _inherit = "media.production.site"

    bom_ids = fields.Many2many(
        "mrp.bom", "mrp_bom_production_site_rel", "site_id", "bom_id", "BOMs produced here"
    )
    bom_vendor_ids = fields.Many2many(
        "res.partner", "res_partner_bom_site_rel", "site_id", "partner_id", "Vendors of the site"
    )

    def _bom_vendor_access_boms(self):
        """BOMs whose vendor access goes through these sites (archived ones included)."""
        return self.with_context(active_test=False).bom_ids

    @api.model_create_multi
    def create(self, vals_list):
        sites = super().create(vals_list)
        if any(SITE_ACCESS_FIELDS.intersection(vals) for vals in vals_list):
            self.env["mrp.bom"]._refresh_vendor_access(bom_ids=sites._bom_vendor_access_boms().ids)
        return sites

    def write(self, vals):
        # the vendors of a site see its BOMs: those it had and those it has now
        if not SITE_ACCESS_FIELDS.intersection(vals):
            return super().write(vals)
        boms = self._bom_vendor_access_boms()
        res = super().write(vals)
        boms |= self._bom_vendor_access_boms()
        self.env["mrp.bom"]._refresh_vendor_access(bom_ids=boms.ids)
        return res

    def unlink(self):
        # the site's vendors lose what they saw through it at once
        boms = self._bom_vendor_access_boms()
        res = super().unlink()
        self.env["mrp.bom"]._refresh_vendor_access(bom_ids=boms.ids)
        return res
