from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    media_job_ids = fields.One2many("media.production.job", "order_id", "Media production jobs")
    media_job_count = fields.Integer("Media jobs", compute="_compute_media_job_count")

    def _compute_media_job_count(self):
        counts = dict(
            self.env["media.production.job"]._read_group(
                [("order_id", "in", self.ids)], ["order_id"], ["__count"]
            )
        )
        for order in self:
            order.media_job_count = counts.get(order, 0)

    def action_view_media_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("media_production.media_production_job_action")
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def action_view_media_traceability(self):
        """Sale line → job → manufacturing order → files and MD5s → delivery, one row per file."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "media_production.media_production_job_file_traceability_action"
        )
        action["domain"] = [("job_id.order_id", "=", self.id)]
        return action


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    media_site_id = fields.Many2one(
        "media.production.site",
        "Production site",
        readonly=True,
        copy=False,
        help="Where the media kit of this line is produced, chosen when the order is confirmed.",
    )

    def _prepare_procurement_values(self):
        """Media kits are made and shipped by the production site the routing rules pick:
        the procurement runs in that site's warehouse when it has one."""
        values = super()._prepare_procurement_values()
        if self.product_id.flexnet_kind == "media_kit":
            site = self.media_site_id or self.env["media.routing.rule"].sudo()._route(
                self.order_id.partner_shipping_id.country_id,
                self.product_id.media_type_id,
                self.product_id,
                self.company_id,
            )
            if site and not self.media_site_id:
                self.sudo().media_site_id = site
            if site.warehouse_id:
                values["warehouse_id"] = site.warehouse_id
        return values
