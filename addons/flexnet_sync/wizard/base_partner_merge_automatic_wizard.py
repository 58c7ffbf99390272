from odoo import api, models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    @api.model
    def _update_foreign_keys(self, src_partners, dst_partner):
        # the merge moves the source accounts' entitlements and lines to the destination in
        # SQL, outside their write(): what accounts are entitled to changed
        res = super()._update_foreign_keys(src_partners, dst_partner)
        self.env["flexnet.entitled.product"]._sources_changed()
        return res
