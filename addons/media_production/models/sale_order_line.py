from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    media_site_id = fields.Many2one(
        "media.production.site",
        "Production site",
        readonly=True,
        copy=False,
        help="Where the media kit of this line is produced, chosen when the order is confirmed "
        "(and changed when its job is rerouted).",
    )

    def _action_launch_stock_rule(self, **kwargs):
        self._media_route()
        return super()._action_launch_stock_rule(**kwargs)

    def _media_route(self):
        """Choose the production site of the media-kit lines that have none, all at once: the
        sites' load of the day is counted once (the sites with a capacity locked meanwhile)
        and each line placed counts in it; the routing rules are read once."""
        lines = self.filtered(
            lambda line: (
                line.state == "sale"
                and not line.media_site_id
                and line.product_id.flexnet_kind == "media_kit"
            )
        )
        if not lines:
            return
        Rule = self.env["media.routing.rule"].sudo()
        load = self.env["media.production.site"].sudo()._routing_load(lock=True)
        cache = {}  # the rules and default sites, read once for all the lines
        for line in lines:
            site = Rule._route(
                line.order_id.partner_shipping_id.country_id,
                line.product_id.media_type_id,
                line.product_id,
                line.company_id,
                load=load,
                cache=cache,
            )
            if site:
                site._book(load)
                line.sudo().media_site_id = site

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
