from odoo import api, fields, models


class FlexnetStoreAccountTerm(models.Model):
    """Commercial terms of a FlexNet account type on a website: pricelist, other website."""

    _name = "flexnet.store.account.term"
    _description = "FlexNet Account Type Terms"
    _order = "website_id, account_type_id"

    website_id = fields.Many2one("website", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="website_id.company_id", store=True)
    account_type_id = fields.Many2one("flexnet.account.type", required=True, ondelete="cascade")
    pricelist_id = fields.Many2one("product.pricelist", help="Pricelist given to accounts of this type.")
    redirect_website_id = fields.Many2one(
        "website", "Send to website", help="Members of such accounts who land on this website are sent there."
    )

    _website_type_unique = models.Constraint(
        "UNIQUE(website_id, account_type_id)", "One set of terms per account type and website."
    )

    @api.model
    def _for_partner(self, partner, website=None):
        """Terms that apply to this partner's account type (on ``website``, else any)."""
        code = partner.commercial_partner_id.flexnet_account_type
        if not code:
            return self.browse()
        domain = [("account_type_id.code", "=", code)]
        if website:
            domain.append(("website_id", "=", website.id))
        return self.sudo().search(domain, limit=1)
