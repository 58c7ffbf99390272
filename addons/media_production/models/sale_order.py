from odoo import fields, models

# who reads an order's media jobs and discs: others who read sale orders (stock, accounting)
# do not see these fields
MEDIA_READERS = "sales_team.group_sale_salesman,media_production.group_media_operator"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    media_job_ids = fields.One2many(
        "media.production.job", "order_id", "Media production jobs", groups=MEDIA_READERS
    )
    media_job_count = fields.Integer("Media jobs", compute="_compute_media_job_count", groups=MEDIA_READERS)
    media_disc_ids = fields.One2many(
        "media.production.disc",
        "order_id",
        "Media discs",
        groups=MEDIA_READERS,
        help="The copies produced for this order.",
    )

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

    def action_view_media_discs(self):
        """The copies produced for the order: job, copy, serial, verification, image MD5."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "media_production.media_production_disc_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        return action
