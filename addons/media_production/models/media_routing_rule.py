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
    def _routing_cache(self, cache, company):
        """The active rules and the company's default site, read once per routing batch:
        ``cache`` is a dict the caller keeps for all the kits it routes together (``None``:
        read them for this kit only)."""
        cache = {} if cache is None else cache
        if "rules" not in cache:
            cache["rules"] = self.search([("active", "=", True)])
        key = ("default", company.id)
        if key not in cache:
            cache[key] = self.env["media.production.site"]._default_site(company)
        return cache["rules"], cache[key]

    @api.model
    def _candidate_sites(self, country, media_type, product, company=None, exclude_sites=None, cache=None):
        """The sites of ``company`` that may produce a kit, in routing order: the site of each
        matching rule, by priority, that is up and makes that media (``_makes``); then the
        default site (when it is excluded, another site of the company, one that is up and
        makes the media first)."""
        Site = self.env["media.production.site"]
        company = company or self.env.company
        exclude_sites = exclude_sites or Site
        rules, default = self._routing_cache(cache, company)
        candidates = Site
        for rule in rules:
            site = rule.site_id
            if (
                site.company_id != company
                or site in exclude_sites
                or site in candidates
                or site.is_down
                or not site._makes(media_type)
            ):
                continue
            if rule._matches(country, media_type, product):
                candidates |= site
        if default in exclude_sites:
            others = Site.search([("company_id", "=", company.id), ("id", "not in", exclude_sites.ids)])
            default = (others.filtered(lambda s: not s.is_down and s._makes(media_type)) or others)[:1]
        return candidates | default

    @api.model
    def _route(self, country, media_type, product, company=None, exclude_sites=None, load=None, cache=None):
        """The site for a kit: the first candidate (see ``_candidate_sites``) that makes the
        media as it must be made (``_makes``) and has room today; when all of those are full,
        the first of them all the same. Only when no candidate makes the media does a site
        that does not make it get the kit (the job's chatter says so). ``load`` is today's
        count of jobs per site (``media.production.site._routing_load``), given by callers
        that route several jobs at once; counted here otherwise. ``cache``: see
        ``_routing_cache``."""
        candidates = self._candidate_sites(country, media_type, product, company, exclude_sites, cache)
        if load is None:
            load = self.env["media.production.site"]._routing_load(lock=True)
        makers = candidates.filtered(lambda site: site._makes(media_type))
        pool = makers or candidates
        for site in pool:
            if not site._is_full(load):
                return site
        return pool[:1]
