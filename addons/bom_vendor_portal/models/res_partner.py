from odoo import api, fields, models

# the partner's fields the vendor access follows (see mrp.bom._refresh_vendor_access); a
# direct write of the derived field is overwritten by the refresh as well
PARTNER_ACCESS_FIELDS = {
    "bom_vendor_bom_ids",
    "bom_vendor_site_ids",
    "bom_vendor_categ_ids",
    "bom_vendor_access_ids",
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    bom_vendor_bom_ids = fields.Many2many(
        "mrp.bom", "mrp_bom_vendor_rel", "partner_id", "bom_id", "BOMs assigned directly"
    )
    bom_vendor_site_ids = fields.Many2many(
        "media.production.site",
        "res_partner_bom_site_rel",
        "partner_id",
        "site_id",
        "Production sites",
        help="The vendor sees every BOM produced at these sites.",
    )
    bom_vendor_categ_ids = fields.Many2many(
        "product.category",
        "res_partner_bom_categ_rel",
        "partner_id",
        "categ_id",
        "Product categories",
        help="The vendor sees the BOMs of every product in these categories and their sub-categories.",
    )
    bom_vendor_access_ids = fields.Many2many(
        "mrp.bom", "mrp_bom_vendor_access_rel", "partner_id", "bom_id", "BOMs visible", readonly=True
    )
    bom_vendor_access_count = fields.Integer(
        "BOMs visible to the vendor", compute="_compute_bom_vendor_counts"
    )
    bom_vendor_download_count = fields.Integer("Document downloads", compute="_compute_bom_vendor_counts")
    bom_notify_revisions = fields.Boolean(
        "Notify new document revisions",
        help="The vendor's portal users receive an e-mail when a new revision of a document of "
        "one of their BOMs is released.",
    )

    def _compute_bom_vendor_counts(self):
        self.env["mrp.bom"].flush_model(["vendor_access_ids"])
        access = {}
        if self.ids:
            self.env.cr.execute(
                "SELECT partner_id, COUNT(*) FROM mrp_bom_vendor_access_rel WHERE partner_id = ANY(%s) "
                "GROUP BY partner_id",
                [self.ids],
            )
            access = dict(self.env.cr.fetchall())
        downloads = dict(
            self.env["mrp.bom.document.download"]
            .sudo()
            ._read_group([("vendor_id", "in", self.ids)], ["vendor_id"], ["__count"])
        )
        for partner in self:
            partner.bom_vendor_access_count = access.get(partner.id, 0)
            partner.bom_vendor_download_count = downloads.get(partner, 0)

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        if any(PARTNER_ACCESS_FIELDS.intersection(vals) for vals in vals_list):
            self.env["mrp.bom"]._refresh_vendor_access(partner_ids=partners.ids)
        return partners

    def write(self, vals):
        res = super().write(vals)
        if PARTNER_ACCESS_FIELDS.intersection(vals):
            self.env["mrp.bom"]._refresh_vendor_access(partner_ids=self.ids)
        return res

    def _bom_vendor_portal_users(self):
        """Active portal users of these vendors' contacts (and of the vendors themselves)."""
        contacts = self.with_context(active_test=False).search([("commercial_partner_id", "in", self.ids)])
        return contacts.user_ids.filtered(lambda user: user.active and user._is_portal())

    def action_view_bom_vendor_access(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("mrp.mrp_bom_form_action")
        action["domain"] = [("vendor_access_ids", "in", self.ids)]
        action["context"] = {}
        return action

    def action_view_bom_vendor_downloads(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "bom_vendor_portal.mrp_bom_document_download_action"
        )
        action["domain"] = [("vendor_id", "=", self.id)]
        return action
