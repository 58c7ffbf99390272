import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# the BOM's own fields the vendor access follows (a direct write of the derived field is
# overwritten by the refresh as well)
VENDOR_ACCESS_FIELDS = {"vendor_ids", "production_site_ids", "product_tmpl_id", "active", "vendor_access_ids"}


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
    # _refresh_vendor_access (see its invariant) so that the portal rules are one indexed lookup
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
        if VENDOR_ACCESS_FIELDS.intersection(vals):
            self._refresh_vendor_access(bom_ids=self.ids)
        return res

    @api.model
    def _refresh_vendor_access(self, bom_ids=None, partner_ids=None):
        """Make the vendor-access table (``vendor_access_ids``, ``mrp_bom_vendor_access_rel``)
        exact for the given BOMs, or else the given vendors, or else for everything.

        Invariant, true after every operation: the table holds (bom, partner) if and only if
        the BOM is active and the partner

        - is assigned the BOM directly (``mrp_bom_vendor_rel``: ``vendor_ids`` on the BOM,
          ``bom_vendor_bom_ids`` on the partner), or
        - is assigned one of the BOM's active production sites (``res_partner_bom_site_rel``
          joined with ``mrp_bom_production_site_rel``; a site that closes, archived, stops
          granting access), or
        - is assigned the category of the BOM's product template or one of its ancestors
          along ``parent_id`` (``res_partner_bom_categ_rel``; the ancestors are read from
          ``parent_path``). A BOM for one variant (``product_id``) counts under its template,
          whose category its variants share.

        Apart from sites, only the BOM's ``active`` flag counts: assignments keep granting
        access while the partner or the product template is archived (Odoo refuses to archive
        a partner with active users) (archiving a template or a
        variant archives its BOMs in ``mrp``, through ``write``). The table is read by the
        portal record rules against the user's commercial partner.

        What can change the truth refreshes the smallest scope covering the change, once
        per operation:

        - ``mrp.bom``: create; write of ``VENDOR_ACCESS_FIELDS`` (assignments, sites,
          product template, active) -> those BOMs;
        - ``res.partner``: create or write of ``PARTNER_ACCESS_FIELDS`` -> those partners;
          merge of partners -> the destination partner;
        - ``media.production.site``: create, write of its BOMs, vendors or ``active``,
          unlink -> the site's BOMs before and after;
        - ``product.category``: write of ``parent_id`` (a move, and with it the
          ``parent_path`` of the whole sub-tree), unlink -> the BOMs of the sub-tree's
          products;
        - ``product.template``: write of ``categ_id`` (also when written on a variant)
          -> the template's BOMs.

        Unlinking a BOM or a partner needs no refresh: their rows go with them (ON DELETE
        CASCADE). Rows already right are left alone, so a refresh writes only what changed.

        Returns the number of rows added and removed. The nightly job refreshes everything
        and logs any difference: it finds none unless concurrent transactions changed the
        same access through different records (each one sees only its own change).
        """
        if (bom_ids is not None and not bom_ids) or (partner_ids is not None and not partner_ids):
            return 0, 0
        self.env.flush_all()
        if bom_ids is not None:

            def scope(alias):
                return SQL("%s.bom_id = ANY(%s)", SQL.identifier(alias), list(bom_ids))

        elif partner_ids is not None:

            def scope(alias):
                return SQL("%s.partner_id = ANY(%s)", SQL.identifier(alias), list(partner_ids))

        else:

            def scope(alias):
                return SQL("TRUE")

        self.env.cr.execute(
            SQL(
                """
                WITH expected AS (
                    SELECT e.bom_id, e.partner_id
                      FROM (
                            SELECT r.bom_id, r.partner_id FROM mrp_bom_vendor_rel r
                            UNION
                            SELECT bs.bom_id, ps.partner_id
                              FROM res_partner_bom_site_rel ps
                              JOIN media_production_site site ON site.id = ps.site_id AND site.active
                              JOIN mrp_bom_production_site_rel bs ON bs.site_id = ps.site_id
                            UNION
                            SELECT b.id, pc.partner_id
                              FROM res_partner_bom_categ_rel pc
                              JOIN product_category c ON c.id = pc.categ_id
                              JOIN product_category sub ON sub.parent_path LIKE c.parent_path || '%%'
                              JOIN product_template t ON t.categ_id = sub.id
                              JOIN mrp_bom b ON b.product_tmpl_id = t.id
                           ) e
                      JOIN mrp_bom bom ON bom.id = e.bom_id AND bom.active
                     WHERE %(scope_e)s
                ), removed AS (
                    DELETE FROM mrp_bom_vendor_access_rel a
                     WHERE %(scope_a)s
                       AND NOT EXISTS (
                            SELECT FROM expected x WHERE x.bom_id = a.bom_id AND x.partner_id = a.partner_id
                           )
                    RETURNING 1
                ), added AS (
                    INSERT INTO mrp_bom_vendor_access_rel (bom_id, partner_id)
                    SELECT x.bom_id, x.partner_id
                      FROM expected x
                     WHERE NOT EXISTS (
                            SELECT FROM mrp_bom_vendor_access_rel a
                             WHERE a.bom_id = x.bom_id AND a.partner_id = x.partner_id
                           )
                    ON CONFLICT DO NOTHING
                    RETURNING 1
                )
                SELECT (SELECT COUNT(*) FROM added), (SELECT COUNT(*) FROM removed)
                """,
                scope_e=scope("e"),
                scope_a=scope("a"),
            )
        )
        added, removed = self.env.cr.fetchone()
        self.invalidate_model(["vendor_access_ids"])
        self.env["res.partner"].invalidate_model(["bom_vendor_access_ids"])
        return added, removed

    @api.model
    def _cron_refresh_vendor_access(self):
        """Safety net: every operation keeps the vendor access exact at once (see
        ``_refresh_vendor_access``); this full check repairs what concurrent transactions may
        have missed and says so in the log."""
        added, removed = self._refresh_vendor_access()
        if added or removed:
            _logger.warning(
                "Vendor access was out of date and is corrected: %s rows added, %s rows removed",
                added,
                removed,
            )

    def action_view_bom_documents(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("bom_vendor_portal.mrp_bom_document_action")
        action["domain"] = [("bom_id", "=", self.id)]
        action["context"] = {"default_bom_id": self.id}
        return action
