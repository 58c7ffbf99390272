from odoo import api, models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    @api.model
    def _update_foreign_keys(self, src_partners, dst_partner):
        # the merge moves the source partners' vendor assignments to the destination in SQL,
        # outside the partners' write(); their access rows move along, but the destination's
        # access is recomputed rather than trusted to that
        res = super()._update_foreign_keys(src_partners, dst_partner)
        self.env["mrp.bom"]._refresh_vendor_access(partner_ids=dst_partner.ids)
        return res
