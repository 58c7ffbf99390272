from odoo import fields, models


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
