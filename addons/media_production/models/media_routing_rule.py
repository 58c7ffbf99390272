from odoo import api, fields, models


class MediaRoutingRule(models.Model):
    """Which site produces a kit: by ship-to country, media type and product, by priority."""

    _name = "media.routing.rule"
    _description = "Media Routing Rule"
    _order = "sequence, id"

    sequence = fields.Integer("Priority", default=10)
    active = fields.Boolean(default=True)
    site_id = fields.Many2one("media.production.site", required=True, ondelete="cascade")
    country_ids = fields.Many2many("res.country", string="Ship-to countries", help="Empty: any country.")
    media_type_ids = fields.Many2many("media.type", string="Media types", help="Empty: any media type.")
    product_ids = fields.Many2many("product.product", string="Media kits", help="Empty: any kit.")

    def _matches(self, country, media_type, product):
        self.ensure_one()
        return (
            (not self.country_ids or country in self.country_ids)
            and (not self.media_type_ids or media_type in self.media_type_ids)
            and (not self.product_ids or product in self.product_ids)
        )

    @api.model
    def _route(self, country, media_type, product, company=None, exclude_sites=None):
        """The site for a kit: first matching rule whose site is up and makes that media,
        else the default site."""
        exclude_sites = exclude_sites or self.env["media.production.site"]
        for rule in self.search([("active", "=", True)]):
            site = rule.site_id
            if (
                site in exclude_sites
                or site.is_down
                or (media_type and media_type not in site.media_type_ids)
            ):
                continue
            if rule._matches(country, media_type, product):
                return site
        default = self.env["media.production.site"]._default_site(company)
        if default in exclude_sites:
            return self.env["media.production.site"].search([("id", "not in", exclude_sites.ids)], limit=1)
        return default
