from odoo import api, fields, models
from odoo.tools import SQL


class MrpBom(models.Model):
    _inherit = "mrp.bom"

    vendor_ids = fields.Many2many(
        "res.partner",
        "mrp_bom_vendor_rel",
        "bom_id",
        "partner_id",
        "Assigned vendors",
        domain=[("is_company", "=", True)],
        help="Vendors given this BOM directly, in addition to those given its production sites "
        "or its product category.",
    )
    production_site_ids = fields.Many2many(
        "media.production.site",
        "mrp_bom_production_site_rel",
        "bom_id",
        "site_id",
        "Produced at",
        help="Vendors assigned one of these production sites see this BOM.",
    )
    # one row per BOM and vendor that may see it, whatever the reason; kept exact by
    # _refresh_vendor_access so that the portal rules are one indexed lookup
    vendor_access_ids = fields.Many2many(
        "res.partner",
        "mrp_bom_vendor_access_rel",
        "bom_id",
        "partner_id",
        "Vendors with access",
        readonly=True,
        copy=False,
    )
    bom_document_ids = fields.One2many("mrp.bom.document", "bom_id", "Documents")
    bom_document_count = fields.Integer("Document count", compute="_compute_bom_document_count")
    last_release_date = fields.Datetime(
        "Documents updated",
        readonly=True,
        copy=False,
        index=True,
        help="When a revision of one of its documents was last released.",
    )

    def _compute_bom_document_count(self):
        counts = dict(
            self.env["mrp.bom.document"]._read_group([("bom_id", "in", self.ids)], ["bom_id"], ["__count"])
        )
        for bom in self:
            bom.bom_document_count = counts.get(bom, 0)

    @api.model_create_multi
    def create(self, vals_list):
        boms = super().create(vals_list)
        self._refresh_vendor_access(bom_ids=boms.ids)
        return boms

    def write(self, vals):
        res = super().write(vals)
        if {"vendor_ids", "production_site_ids", "product_tmpl_id", "active"}.intersection(vals):
            self._refresh_vendor_access(bom_ids=self.ids)
        return res

    @api.model
    def _refresh_vendor_access(self, bom_ids=None, partner_ids=None):
        """Recompute which vendors see which BOMs: directly assigned, through a production
        site, or through a product category (and its sub-categories). Limited to the given
        BOMs or vendors; everything when neither is given."""
        if (bom_ids is not None and not bom_ids) or (partner_ids is not None and not partner_ids):
            return
        self.env.flush_all()
        scope = SQL("TRUE")
        if bom_ids is not None:
            scope = SQL("a.bom_id = ANY(%s)", list(bom_ids))
        elif partner_ids is not None:
            scope = SQL("a.partner_id = ANY(%s)", list(partner_ids))
        self.env.cr.execute(SQL("DELETE FROM mrp_bom_vendor_access_rel a WHERE %s", scope))
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mrp_bom_vendor_access_rel (bom_id, partner_id)
                SELECT DISTINCT a.bom_id, a.partner_id FROM (
                    SELECT r.bom_id, r.partner_id FROM mrp_bom_vendor_rel r
                    UNION
                    SELECT bs.bom_id, ps.partner_id
                      FROM res_partner_bom_site_rel ps
                      JOIN mrp_bom_production_site_rel bs ON bs.site_id = ps.site_id
                    UNION
                    SELECT b.id, pc.partner_id
                      FROM res_partner_bom_categ_rel pc
                      JOIN product_category c ON c.id = pc.categ_id
                      JOIN product_category sub ON sub.parent_path LIKE c.parent_path || '%%'
                      JOIN product_template t ON t.categ_id = sub.id
                      JOIN mrp_bom b ON b.product_tmpl_id = t.id
                ) a
                JOIN mrp_bom bom ON bom.id = a.bom_id AND bom.active
                WHERE %s
                """,
                scope,
            )
        )
        self.invalidate_model(["vendor_access_ids"])
        self.env["res.partner"].invalidate_model(["bom_vendor_access_ids"])

    @api.model
    def _cron_refresh_vendor_access(self):
        """Nightly safety net: category moves and archived records are caught up."""
        self._refresh_vendor_access()

    def action_view_bom_documents(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("bom_vendor_portal.mrp_bom_document_action")
        action["domain"] = [("bom_id", "=", self.id)]
        action["context"] = {"default_bom_id": self.id}
        return action
