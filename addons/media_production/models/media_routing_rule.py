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
    def _candidate_sites(self, country, media_type, product, company=None, exclude_sites=None):
        """The sites that may produce a kit, in routing order: the site of each matching rule,
        by priority, that is up and makes that media (``_makes``); then the default site (another site
        when the default one is excluded)."""
        Site = self.env["media.production.site"]
        exclude_sites = exclude_sites or Site
        candidates = Site
        for rule in self.search([("active", "=", True)]):
            site = rule.site_id
            if site in exclude_sites or site in candidates or site.is_down or not site._makes(media_type):
                continue
            if rule._matches(country, media_type, product):
                candidates |= site
        default = Site._default_site(company)
        if default in exclude_sites:
            default = Site.search([("id", "not in", exclude_sites.ids)], limit=1)
        return candidates | default

    @api.model
    def _route(self, country, media_type, product, company=None, exclude_sites=None, load=None):
        """The site for a kit: the first candidate (see ``_candidate_sites``) that has room
        today; when none has, the first candidate all the same. ``load`` is today's count of
        jobs per site (``media.production.site._routing_load``), given by callers that route
        several jobs at once; counted here otherwise."""
        candidates = self._candidate_sites(country, media_type, product, company, exclude_sites)
        if load is None:
            load = self.env["media.production.site"]._routing_load()
        for site in candidates:
            if not site._is_full(load):
                return site
        return candidates[:1]
