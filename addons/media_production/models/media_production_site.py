import logging
from datetime import datetime, time, timedelta

import psycopg2
import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL

from odoo.addons.base.models.res_partner import _tz_get

from ..tools import CANCELLED, MANAGER_GROUP, STATION_GROUP, STATION_KEY_PREFIX

_logger = logging.getLogger(__name__)

# a station's calls note the time in the site's heartbeat at most this often (seconds)
HEARTBEAT_EVERY = 30


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
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        check_company=True,
        help="Makes and ships the kits of this site's jobs (their manufacturing orders and "
        "deliveries); empty: the sale order's warehouse.",
    )
    media_type_ids = fields.Many2many("media.type", string="Media types", required=True)
    robot_verifies = fields.Boolean(
        "Robot verifies discs",
        default=True,
        help="The site's disc robot reads every burned disc back against its image and says so "
        "(Primera PTBurn: yes; Rimage Network Publisher orders: no). Routing gives media types "
        "that require verification to sites whose robot verifies first; discs made elsewhere "
        "are recorded as not verified.",
    )
    daily_capacity = fields.Integer(
        "Capacity per day",
        default=0,
        help="How many jobs routing gives this site per day: the jobs routed (or rerouted) to it "
        "since midnight in the site's time zone that are still its own, cancelled ones left out "
        "(a job rerouted away after a failure counts at its new site, no longer here). A full "
        "site is "
        "skipped for the next site of the routing rules, then the default site; when all are "
        "full the job goes to the first of them all the same, with a note. 0: no limit.",
    )
    tz = fields.Selection(
        _tz_get,
        "Time zone",
        required=True,
        default=lambda self: self.env.company.partner_id.tz or self.env.user.tz or "UTC",
        help="Where the site's production day starts and ends, for its capacity per day.",
    )
    station_reports_discs = fields.Boolean(
        "Station reports each disc",
        default=True,
        help="The site's station reports every copy with its serial and verification, and the "
        "image MD5. Sites that existed before disc verification start without it: their "
        "station's success reports without discs are accepted (their discs recorded as not "
        "verified, with a note) until the station sends its first report with discs, which "
        "sets it.",
    )
    today_job_count = fields.Integer(
        "Jobs today", compute="_compute_today_job_count", help="Jobs routed to the site today."
    )
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
    station_key_expiration = fields.Datetime(
        "Station key expires",
        compute="_compute_station_key_expiration",
        groups=MANAGER_GROUP,
        help="When the last station key issued for this site runs out (Rotate station key issues "
        "a new one and revokes the old ones).",
    )
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
    _daily_capacity_positive = models.Constraint(
        "CHECK(daily_capacity >= 0)", "The capacity per day is a number of jobs, 0 for no limit."
    )

    def _station_seen(self):
        """Note in ``heartbeat`` that the site's station called.

        Every station call of the site would otherwise update the site's row: the site's
        stations, on however many Odoo processes, would wait for each other and fail each
        other's transactions (serialisation failures, retried by Odoo). The time is written
        at most every ``HEARTBEAT_EVERY`` seconds, and not at all by a call that finds it being
        written by another (that one notes the time)."""
        self.ensure_one()
        self.flush_recordset(["heartbeat"])
        now = fields.Datetime.now()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        """UPDATE media_production_site SET heartbeat = %(now)s
                            WHERE id IN (SELECT id FROM media_production_site
                                          WHERE id = %(id)s AND (heartbeat IS NULL OR heartbeat <= %(stale)s)
                                            FOR UPDATE SKIP LOCKED)""",
                        now=now,
                        id=self.id,
                        stale=now - timedelta(seconds=HEARTBEAT_EVERY),
                    ),
                    log_exceptions=False,
                )
        except psycopg2.errors.SerializationFailure:
            # another call wrote it since this transaction began: the time is noted
            _logger.debug("Heartbeat of site %s noted by a concurrent station call", self.code)
        self.invalidate_recordset(["heartbeat", "is_down"])

    @api.depends("heartbeat", "down_after")
    def _compute_is_down(self):
        now = fields.Datetime.now()
        for site in self:
            site.is_down = (
                bool(site.heartbeat) and (now - site.heartbeat).total_seconds() > site.down_after * 60
            )

    def _compute_station_key_expiration(self):
        for site in self:
            keys = site._station_keys()
            site.station_key_expiration = max(keys.mapped("expiration_date"), default=False)

    def _compute_queued_job_count(self):
        counts = dict(
            self.env["media.production.job"]._read_group(
                [("site_id", "in", self.ids), ("state", "=", "queued")], ["site_id"], ["__count"]
            )
        )
        for site in self:
            site.queued_job_count = counts.get(site, 0)

    def _compute_today_job_count(self):
        load = self._routing_load(self.filtered("id"))
        for site in self:
            site.today_job_count = load.get(site.id, 0)

    # --- capacity ---------------------------------------------------------------------------

    def _today_bounds(self):
        """Start and end (UTC) of the site's current day, in its time zone."""
        self.ensure_one()
        zone = pytz.timezone(self.tz or "UTC")
        today = pytz.utc.localize(fields.Datetime.now()).astimezone(zone).date()
        start, end = (zone.localize(datetime.combine(day, time.min)) for day in (today, today + timedelta(1)))
        return (
            start.astimezone(pytz.utc).replace(tzinfo=None),
            end.astimezone(pytz.utc).replace(tzinfo=None),
        )

    @api.model
    def _routing_load(self, sites=None, lock=False):
        """``{site id: jobs routed to it today}``: the jobs whose current site it is, routed
        since midnight in the site's time zone, cancelled ones left out. Counted in one
        grouped query for ``sites`` (default: the sites with a capacity, the only ones routing
        asks about); routing adds the jobs it places to the same dict as it goes.

        ``lock``: routing is about to place jobs by this count, so the sites are locked
        first (see ``_lock_for_routing``)."""
        if sites is None:
            sites = self.search([("daily_capacity", ">", 0)])
        if not sites:
            return {}
        if lock:
            sites._lock_for_routing()
        per_site = []
        for site in sites:
            start, end = site._today_bounds()
            per_site.append(
                Domain([("site_id", "=", site.id), ("routed_at", ">=", start), ("routed_at", "<", end)])
            )
        domain = Domain.OR(per_site) & Domain("state", "!=", CANCELLED)
        groups = self.env["media.production.job"].sudo()._read_group(domain, ["site_id"], ["__count"])
        return {site.id: count for site, count in groups}

    def _lock_for_routing(self):
        """Lock the sites' rows (in id order) and touch them: two transactions that route
        jobs to the same sites at the same time do not both count the same free places. The
        later one waits for the earlier one; once that one has committed, the later one's
        update of the same rows fails with a serialisation error and Odoo runs its request
        again, now counting the jobs the earlier one placed."""
        if not self:
            return
        self.flush_model(["daily_capacity"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM media_production_site WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
                self.ids,
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE media_production_site SET daily_capacity = daily_capacity WHERE id = ANY(%s)",
                self.ids,
            )
        )

    def _is_full(self, load):
        """Whether the site has no room left today, ``load`` being ``_routing_load``'s count."""
        self.ensure_one()
        return bool(self.daily_capacity) and load.get(self.id, 0) >= self.daily_capacity

    def _book(self, load):
        """Count one more job of today in ``load``."""
        self.ensure_one()
        load[self.id] = load.get(self.id, 0) + 1

    def _makes(self, media_type):
        """Whether this site produces ``media_type`` as the media type wants it (verified discs
        from a robot that verifies); no site makes anything."""
        if not self:
            return False
        self.ensure_one()
        if not media_type:
            return True
        return media_type in self.media_type_ids and (
            self.robot_verifies or not media_type.requires_verification
        )

    @api.model
    def _default_site(self, company=None):
        company = company or self.env.company
        return self.search(
            [("is_default", "=", True), ("company_id", "=", company.id)], limit=1
        ) or self.search([("company_id", "=", company.id)], limit=1)

    # --- station keys -----------------------------------------------------------------------

    def _station_key_name(self):
        self.ensure_one()
        return f"{STATION_KEY_PREFIX} {self.code}"

    def _station_keys(self):
        """The API keys of this site's station: every key of its station user, a technical user
        that serves this site only (one site per station user), whoever issued them
        (``_station_issue_key``, or by hand before the site had a key of its own)."""
        self.ensure_one()
        Keys = self.env["res.users.apikeys"].sudo()
        if not self.station_user_id:
            return Keys
        return Keys.search([("user_id", "=", self.station_user_id.id)])

    def _station_issue_key(self, expiration):
        """Revoke the site's station keys (``_station_keys``) and issue a new one for its
        station user, valid until ``expiration``. Returns the new key in clear: the caller
        shows it once and keeps it nowhere. Production managers only."""
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only media production managers issue station keys."))
        if not self.env.su and self.company_id not in self.env.user.company_ids:
            raise AccessError(
                self.env._("Site %(site)s is not one of your companies' sites.", site=self.sudo().name)
            )
        user = self.station_user_id
        if not user:
            raise UserError(
                self.env._("Site %(site)s has no station user to issue a key to.", site=self.name)
            )
        if not user.sudo().has_group(STATION_GROUP):
            raise UserError(
                self.env._(
                    "%(user)s is not a production station user: no station key is issued to it.",
                    user=user.name,
                )
            )
        if not expiration:
            raise UserError(self.env._("A station key needs an expiration date."))
        old = self._station_keys()
        if old:
            old._remove()
        # as the station user (the key is its own), as superuser (a station user may not issue
        # keys for that long itself); the global scope: JSON-2, XML-RPC and the file downloads
        keys = self.env["res.users.apikeys"].with_user(user).sudo()
        key = keys._generate(None, self._station_key_name(), expiration)
        _logger.info(
            "Station key of site %s issued by %s; %s old key(s) revoked",
            self.code,
            self.env.user.login,
            len(old),
        )
        return key

    def _station_key_show_action(self, key, expiration):
        """The dialog that shows ``key`` once, with the settings of the site's station program.
        The key is in this action's context only: it is stored nowhere."""
        self.ensure_one()
        base_url = self.get_base_url()
        settings = "\n".join(
            [
                "[station]",
                f"url = {base_url}",
                f"db = {self.env.cr.dbname}",
                f"site = {self.code}",
                f"login = {self.station_user_id.login}",
                "key = <the key above>",
            ]
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "media.production.site.key.show",
            "name": self.env._("Station key of %(site)s", site=self.name),
            "views": [(self.env.ref("media_production.media_production_site_key_show_view_form").id, "form")],
            "target": "new",
            "context": {
                "default_key": key,
                "default_site_id": self.id,
                "default_login": self.station_user_id.login,
                "default_expiration_date": fields.Datetime.to_string(expiration),
                "default_station_settings": settings,
            },
        }

    def action_rotate_station_key(self):
        """Open the wizard that issues a new station key and revokes the old ones."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "media_production.media_production_site_key_wizard_action"
        )
        action["context"] = {"default_site_id": self.id}
        return action
