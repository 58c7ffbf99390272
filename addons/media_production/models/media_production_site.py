from odoo import api, fields, models


class MediaProductionSite(models.Model):
    """A place that turns production jobs into media, with a station next to a disc robot."""

    _name = "media.production.site"
    _description = "Media Production Site"
    _order = "sequence, id"

    name = fields.Char(required=True)
    code = fields.Char(required=True, help="Given to the station program (--site).")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    warehouse_id = fields.Many2one("stock.warehouse", check_company=True)
    media_type_ids = fields.Many2many("media.type", string="Media types", required=True)
    daily_capacity = fields.Integer("Capacity per day", default=200)
    is_default = fields.Boolean(
        "Default site", help="Gets the jobs no routing rule places, and those of sites that are down."
    )
    station_user_id = fields.Many2one(
        "res.users",
        "Station user",
        help="Technical user whose API key the site's station uses; it sees this site's jobs only.",
    )
    auto_reroute = fields.Boolean(
        "Reroute failed jobs automatically",
        default=True,
        help="A job that fails here goes to the next site that can produce it (routing rules, then "
        "the default site), up to the maximum number of reroutes; otherwise it waits for a person.",
    )
    max_reroutes = fields.Integer("Maximum reroutes per job", default=2)
    heartbeat = fields.Datetime("Last heartbeat", readonly=True)
    down_after = fields.Integer(
        "Down after (minutes)", default=30, help="No heartbeat for that long: the site is down."
    )
    is_down = fields.Boolean(compute="_compute_is_down")
    job_ids = fields.One2many("media.production.job", "site_id")
    queued_job_count = fields.Integer(compute="_compute_queued_job_count")

    _code_unique = models.Constraint("UNIQUE(code)", "Each production site code exists once.")
    _station_user_unique = models.UniqueIndex(
        "(station_user_id) WHERE station_user_id IS NOT NULL", "A station user serves one site."
    )

    @api.depends("heartbeat", "down_after")
    def _compute_is_down(self):
        now = fields.Datetime.now()
        for site in self:
            site.is_down = (
                bool(site.heartbeat) and (now - site.heartbeat).total_seconds() > site.down_after * 60
            )

    def _compute_queued_job_count(self):
        counts = dict(
            self.env["media.production.job"]._read_group(
                [("site_id", "in", self.ids), ("state", "=", "queued")], ["site_id"], ["__count"]
            )
        )
        for site in self:
            site.queued_job_count = counts.get(site, 0)

    @api.model
    def _default_site(self, company=None):
        company = company or self.env.company
        return self.search(
            [("is_default", "=", True), ("company_id", "=", company.id)], limit=1
        ) or self.search([("company_id", "=", company.id)], limit=1)
