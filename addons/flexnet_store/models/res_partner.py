from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def write(self, vals):
        result = super().write(vals)
        if "flexnet_account_type" in vals:
            self.filtered("is_company")._flexnet_apply_account_terms()
        return result

    def _flexnet_apply_account_terms(self, website=None):
        """Give accounts the pricelist their FlexNet account type calls for."""
        Term = self.env["flexnet.store.account.term"]
        for partner in self:
            term = Term._for_partner(partner, website)
            if (
                term.pricelist_id
                and partner.commercial_partner_id.property_product_pricelist != term.pricelist_id
            ):
                partner.commercial_partner_id.sudo().property_product_pricelist = term.pricelist_id
