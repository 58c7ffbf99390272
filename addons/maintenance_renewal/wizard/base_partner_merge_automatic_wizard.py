from odoo import api, models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    @api.model
    def _update_foreign_keys(self, src_partners, dst_partner):
        # the merge moves the source accounts' lines and terms to the destination in SQL,
        # outside the ORM: the terms take the destination's salesperson, country and type,
        # are priced on its pricelist, and its overdue figures count them
        res = super()._update_foreign_keys(src_partners, dst_partner)
        Term = self.env["maintenance.renewal.term"].sudo()
        terms = Term.search([("account_id", "=", dst_partner.id)])
        terms.modified(["account_id"])
        terms.flush_recordset()
        Term._refresh(line_ids=terms.line_id.ids, reprice=True)
        self.env["res.partner"].sudo()._renewal_update_overdue(dst_partner.ids)
        return res
