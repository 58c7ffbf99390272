import base64
import logging
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from ..tools import STATION_GROUP, manifest_md5

_logger = logging.getLogger(__name__)

QUEUED, CLAIMED, STAGING, PRODUCING = "queued", "claimed", "staging", "producing"
DONE, FAILED, CANCELLED = "done", "failed", "cancelled"
ACTIVE_STATES = (CLAIMED, STAGING, PRODUCING)
MIN_LEASE_SECONDS, MAX_LEASE_SECONDS = 60, 86400


class MediaProductionJob(models.Model):
    """One media kit to produce at one site: manifest, label data, robot parameters, state."""

    _name = "media.production.job"
    _description = "Media Production Job"
    _inherit = ["mail.thread"]
    _order = "id desc"

    # fields a station's reports drive: written only by the job's own methods
    _protected_fields = (
        "state",
        "site_id",
        "lease_until",
        "claimed_by",
        "lease_token",
        "attempts",
        "serials",
        "copies_done",
    )

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    production_id = fields.Many2one("mrp.production", "Manufacturing order", readonly=True, index=True)
    sale_line_id = fields.Many2one("sale.order.line", readonly=True, index="btree_not_null")
    order_id = fields.Many2one(related="sale_line_id.order_id", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    product_id = fields.Many2one("product.product", "Media kit", required=True, readonly=True)
    part_number = fields.Char(related="product_id.default_code")
    title = fields.Char("Software title", readonly=True)
    media_type_id = fields.Many2one("media.type", readonly=True)
    copies = fields.Integer(required=True, default=1, readonly=True)
    site_id = fields.Many2one("media.production.site", readonly=True, tracking=True, index=True)
    state = fields.Selection(
        [
            (QUEUED, "Queued"),
            (CLAIMED, "Claimed"),
            (STAGING, "Staging files"),
            (PRODUCING, "Producing"),
            (DONE, "Done"),
            (FAILED, "Failed"),
            (CANCELLED, "Cancelled"),
        ],
        default=QUEUED,
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    lease_until = fields.Datetime(
        readonly=True, help="A claimed job returns to the queue when its lease runs out."
    )
    claimed_by = fields.Char("Station", readonly=True)
    # the secret of the current claim: only the station that holds it reports on the job
    lease_token = fields.Char(readonly=True, copy=False, groups="base.group_system")
    attempts = fields.Integer(readonly=True, help="How many times a station claimed the job.")
    manifest_line_ids = fields.One2many("media.production.job.file", "job_id", "Manifest", readonly=True)
    volume_name = fields.Char(compute="_compute_volume_name")
    copies_done = fields.Integer(readonly=True)
    serials = fields.Text(readonly=True)
    failure_reason = fields.Text(readonly=True)
    station_log = fields.Text(readonly=True)
    rerouted_from_ids = fields.Many2many("media.production.site", string="Failed at", readonly=True)
    delivery_id = fields.Many2one(
        "stock.picking", compute="_compute_delivery_id", help="The delivery that ships the kits."
    )
    label_template_id = fields.Many2one(
        "media.label.template", default=lambda self: self.env["media.label.template"].search([], limit=1)
    )

    def _compute_delivery_id(self):
        for job in self:
            pickings = job.sale_line_id.sudo().move_ids.picking_id.filtered(
                lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
            )
            job.delivery_id = pickings[:1]

    @api.depends("title", "order_id.name")
    def _compute_volume_name(self):
        for job in self:
            # ISO 9660 volume identifiers: 32 characters of A-Z, 0-9 and _
            raw = f"{job.title or 'MEDIA'}_{job.order_id.name or job.name}".upper()
            job.volume_name = "".join(c if c.isalnum() else "_" for c in raw)[:32]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("media.production.job") or "/"
        jobs = super().create(vals_list)
        jobs._refresh_manifest()
        return jobs

    def write(self, vals):
        if not self.env.su and set(vals) & set(self._protected_fields):
            raise AccessError(self.env._("Production job state is changed through its actions only."))
        return super().write(vals)

    # --- manifest -----------------------------------------------------------------------

    def _refresh_manifest(self):
        """Freeze the latest released files of the title (queued jobs only)."""
        Files = self.env["media.title.file"].sudo()
        for job in self.filtered(lambda j: j.state == QUEUED):
            latest = Files._latest_released(job.title)
            current = {(line.path, line.md5) for line in job.manifest_line_ids}
            wanted = {(f.name, manifest_md5(f.md5)) for f in latest}
            if current == wanted:
                continue
            commands = [fields.Command.clear()] + [
                fields.Command.create(
                    {
                        "path": f.name,
                        "version": f.version,
                        "size": f.size,
                        "md5": manifest_md5(f.md5),
                        "url": f.url,
                        "file_id": f.id,
                    }
                )
                for f in latest
            ]
            job.sudo().manifest_line_ids = commands
            if current:
                job.message_post(body=self.env._("New file release: the manifest was refreshed."))

    # --- routing ----------------------------------------------------------------------------

    def _route(self):
        for job in self:
            chosen = job.sale_line_id.media_site_id
            if chosen and chosen not in job.rerouted_from_ids and not chosen.is_down:
                job.sudo().site_id = chosen  # the site whose warehouse makes and ships the kit
            else:
                job.sudo().site_id = job._pick_site(job.rerouted_from_ids)

    def _pick_site(self, excluded):
        """The site the routing rules give this job, leaving out ``excluded``."""
        self.ensure_one()
        return (
            self.env["media.routing.rule"]
            .sudo()
            ._route(
                self.sale_line_id.order_id.partner_shipping_id.country_id,
                self.media_type_id,
                self.product_id,
                self.company_id,
                excluded,
            )
        )

    def _next_site(self):
        """The site a failed job would go to next, or an empty recordset."""
        self.ensure_one()
        excluded = self.rerouted_from_ids | self.site_id
        site = self._pick_site(excluded)
        if site in excluded or (self.media_type_id and self.media_type_id not in site.media_type_ids):
            return self.env["media.production.site"]
        return site

    def action_reroute(self):
        """A person sends failed jobs to the next site and queues them again."""
        for job in self.filtered(lambda j: j.state == FAILED):
            site = job._next_site()
            if not site:
                raise ValidationError(
                    self.env._(
                        "No other site can produce %(job)s (%(media)s); it failed at: %(sites)s.",
                        job=job.name,
                        media=job.media_type_id.name or "-",
                        sites=", ".join((job.rerouted_from_ids | job.site_id).mapped("name")),
                    )
                )
            job._reroute_to(site)
        return True

    def _reroute_to(self, site):
        self.ensure_one()
        previous = self.site_id
        self.sudo().write(
            {
                "rerouted_from_ids": [fields.Command.link(previous.id)] if previous else [],
                "site_id": site.id,
                "state": QUEUED,
                "lease_until": False,
                "claimed_by": False,
                "lease_token": False,
            }
        )
        self.message_post(
            body=self.env._("Rerouted from %(old)s to %(new)s.", old=previous.name or "-", new=site.name)
        )

    def _apply_reroute_policy(self):
        """After a failure: the next site takes the job when the failed site says so."""
        for job in self:
            site = job.site_id
            if not site.auto_reroute or len(job.rerouted_from_ids) >= site.max_reroutes:
                continue
            target = job._next_site()
            if target:
                job._reroute_to(target)

    def action_cancel(self):
        self.filtered(lambda j: j.state not in (DONE,)).sudo().write(
            {"state": CANCELLED, "lease_until": False, "lease_token": False}
        )
        return True

    # --- station API (JSON-2 / XML-RPC, as the site's station user) ----------------------------

    @api.model
    def _station_site(self):
        if not self.env.user.has_group(STATION_GROUP):
            raise AccessError(self.env._("Only production stations use this API."))
        site = (
            self.env["media.production.site"].sudo().search([("station_user_id", "=", self.env.uid)], limit=1)
        )
        if not site:
            raise AccessError(self.env._("This user is the station of no production site."))
        return site

    @api.model
    def _station_job(self, job_id):
        site = self._station_site()
        if not isinstance(job_id, int) or isinstance(job_id, bool):
            raise ValidationError(self.env._("job_id must be an integer"))
        job = self.sudo().browse(job_id).exists()
        if not job or job.site_id != site:
            raise AccessError(self.env._("Job %s is not one of this site's jobs.", job_id))
        return job, site

    @api.model
    def _station_leased_job(self, job_id, lease):
        """The caller's job, provided the caller holds its current lease; a job that has ended
        (done, failed, cancelled) answers repeated and late reports without one."""
        job, site = self._station_job(job_id)
        if job.state not in (DONE, FAILED, CANCELLED) and not job._station_holds(lease):
            raise AccessError(
                self.env._(
                    "This station does not hold the lease of job %(job)s any more: another station "
                    "claimed it after the lease ran out.",
                    job=job.name,
                )
            )
        return job, site

    def _station_holds(self, lease):
        """Whether ``lease`` is this job's current lease (compared in constant time)."""
        self.ensure_one()
        token = self.sudo().lease_token
        return isinstance(lease, str) and bool(token) and secrets.compare_digest(token, lease)

    @api.model
    def _station_lease_seconds(self, lease_seconds):
        if not isinstance(lease_seconds, int) or not MIN_LEASE_SECONDS <= lease_seconds <= MAX_LEASE_SECONDS:
            raise ValidationError(
                self.env._(
                    "lease_seconds must be an integer from %(low)s to %(high)s.",
                    low=MIN_LEASE_SECONDS,
                    high=MAX_LEASE_SECONDS,
                )
            )
        return lease_seconds

    @api.model
    def _station_leases(self, leases):
        """The caller's running jobs whose lease the caller holds, from ``{job id: lease}``."""
        site = self._station_site()
        if not isinstance(leases, dict):
            raise ValidationError(self.env._("leases must map job ids to their lease."))
        wanted = {}
        for key, token in leases.items():
            try:
                wanted[int(key)] = token
            except (TypeError, ValueError):
                raise ValidationError(self.env._("leases must map job ids to their lease.")) from None
        jobs = self.sudo().search(
            [("id", "in", list(wanted)), ("site_id", "=", site.id), ("state", "in", ACTIVE_STATES)]
        )
        held = jobs.filtered(lambda job: job._station_holds(wanted[job.id]))
        return held, site

    @api.model
    def station_claim(self, station="station", limit=1, lease_seconds=900):
        """Claim up to ``limit`` queued jobs of the caller's site for ``lease_seconds``; each
        package carries the ``lease`` that the station's reports on that job must give."""
        site = self._station_site()
        if not (isinstance(limit, int) and 1 <= limit <= 50):
            raise ValidationError(self.env._("limit must be 1-50"))
        lease_seconds = self._station_lease_seconds(lease_seconds)
        self.sudo()._release_expired_leases()
        self.flush_model(["state", "site_id"])  # the SQL below must see the released jobs
        self.env.cr.execute(
            SQL(
                """SELECT id FROM media_production_job WHERE site_id = %s AND state = 'queued'
               ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
                site.id,
                limit,
            )
        )
        jobs = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        until = fields.Datetime.now() + timedelta(seconds=lease_seconds)
        packages = []
        for job in jobs:
            lease = secrets.token_urlsafe(24)
            job.write(
                {
                    "state": CLAIMED,
                    "claimed_by": str(station)[:64],
                    "lease_until": until,
                    "lease_token": lease,
                    "attempts": job.attempts + 1,
                }
            )
            packages.append(dict(job._station_package(), lease=lease))
        site.heartbeat = fields.Datetime.now()
        return packages

    @api.model
    def station_package(self, job_id):
        job, _site = self._station_job(job_id)
        return job._station_package()

    def _label_values(self):
        """Merge fields of the label (also what the robot's label software receives)."""
        self.ensure_one()
        order = self.sale_line_id.order_id
        return {
            "order": order.name or "",
            "part_number": self.part_number or "",
            "title": self.title or "",
            "version": ", ".join(sorted(set(self.manifest_line_ids.mapped("version")))),
            "customer": order.partner_id.commercial_partner_id.name or "",
            "barcode": f"{order.name or ''}-{self.part_number or ''}",
        }

    def _station_package(self):
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "copies": self.copies,
            "volume_name": self.volume_name,
            "media_type": self.media_type_id.code or "dvd",
            "is_disc": bool(self.media_type_id.is_disc) if self.media_type_id else True,
            "lease_until": fields.Datetime.to_string(self.lease_until) if self.lease_until else False,
            "files": [
                {
                    "path": line.path,
                    "md5": line.md5,
                    "size": line.size,
                    "url": line.url,
                    "version": line.version,
                }
                for line in self.manifest_line_ids
            ],
            "label": self._label_values(),
        }

    @api.model
    def station_heartbeat(self, leases=None, lease_seconds=900):
        """The station is alive; the leases it still holds (``{job id: lease}``) are renewed.
        Returns the ids of the renewed jobs: a job missing there is no longer the station's."""
        lease_seconds = self._station_lease_seconds(lease_seconds)
        jobs, site = self._station_leases(leases or {})
        site.sudo().heartbeat = fields.Datetime.now()
        jobs.write({"lease_until": fields.Datetime.now() + timedelta(seconds=lease_seconds)})
        return jobs.ids

    @api.model
    def station_label_pdf(self, job_id):
        """The job's label as a PDF (base64), for the robot's label printer."""
        job, _site = self._station_job(job_id)
        content, _kind = (
            self.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf("media_production.report_media_label", job.ids)
        )
        return base64.b64encode(content).decode()

    @api.model
    def station_release(self, leases=None):
        """A station shutting down hands the jobs it holds back to the queue (idempotent)."""
        jobs, _site = self._station_leases(leases or {})
        jobs.write({"state": QUEUED, "lease_until": False, "claimed_by": False, "lease_token": False})
        for job in jobs:
            job.message_post(body=self.env._("The station released the job: it is back in the queue."))
        return jobs.ids

    @api.model
    def station_progress(self, job_id, state, message="", lease=None):
        job, _site = self._station_leased_job(job_id, lease)
        if state not in (STAGING, PRODUCING):
            raise ValidationError(self.env._("Progress state must be staging or producing."))
        if job.state not in ACTIVE_STATES:
            return job.state  # a late or repeated report changes nothing
        job.write({"state": state})
        if message:
            job.message_post(body=str(message)[:2000])
        return job.state

    @api.model
    def station_report_success(self, job_id, copies, serials=(), checksums_verified=True, lease=None):
        """The robot produced the copies: the manufacturing order is completed (idempotent)."""
        job, _site = self._station_leased_job(job_id, lease)
        if job.state == DONE:
            return DONE
        if job.state not in ACTIVE_STATES:
            raise ValidationError(
                self.env._("Job %(job)s is %(state)s; it cannot succeed now.", job=job.name, state=job.state)
            )
        if not isinstance(copies, int) or copies < job.copies or not checksums_verified:
            raise ValidationError(self.env._("A success report needs every copy and verified checksums."))
        job.write(
            {
                "state": DONE,
                "copies_done": copies,
                "serials": "\n".join(map(str, serials))[:20000],
                "lease_until": False,
                "lease_token": False,
            }
        )
        job._complete_production()
        job.message_post(
            body=self.env._("Produced %(copies)s cop(ies) at %(site)s.", copies=copies, site=job.site_id.name)
        )
        return DONE

    @api.model
    def station_report_failure(self, job_id, reason, log="", lease=None):
        """The job failed at the site: people are told and the reroute policy applies (idempotent)."""
        site = self._station_site()
        valid_id = isinstance(job_id, int) and not isinstance(job_id, bool)
        rerouted = self.sudo().browse(job_id).exists() if valid_id else None
        if rerouted and site in rerouted.rerouted_from_ids and rerouted.site_id != site:
            return FAILED  # a repeated report after the job moved on to another site
        job, _site = self._station_leased_job(job_id, lease)
        if job.state in (FAILED, DONE, CANCELLED):
            return job.state
        if not reason or not isinstance(reason, str):
            raise ValidationError(self.env._("A failure report needs a reason."))
        job.write(
            {
                "state": FAILED,
                "failure_reason": reason[:2000],
                "station_log": str(log)[-20000:],
                "lease_until": False,
                "lease_token": False,
            }
        )
        job._notify_failure()
        job._apply_reroute_policy()
        return FAILED

    # --- internals ------------------------------------------------------------------------

    @api.model
    def _release_expired_leases(self):
        expired = self.sudo().search(
            [("state", "in", ACTIVE_STATES), ("lease_until", "<", fields.Datetime.now())]
        )
        for job in expired:
            job.write({"state": QUEUED, "lease_until": False, "claimed_by": False, "lease_token": False})
            job.message_post(body=self.env._("The station's lease ran out: the job is back in the queue."))
        return expired

    def _complete_production(self):
        production = self.production_id.sudo()
        if not production or production.state in ("done", "cancel"):
            return
        if production.state == "draft":
            production.action_confirm()
        production.qty_producing = production.product_qty
        for move in production.move_raw_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        production.with_context(skip_backorder=True).button_mark_done()

    def _notify_failure(self):
        for job in self:
            note = self.env._(
                "Media job %(job)s failed at %(site)s: %(reason)s",
                job=job.name,
                site=job.site_id.name,
                reason=job.failure_reason,
            )
            order = job.sale_line_id.order_id.sudo()
            if order:
                order.activity_schedule(
                    "mail.mail_activity_data_todo",
                    note=note,
                    summary=self.env._("Media production failed"),
                    user_id=(order.user_id or self.env.ref("base.user_admin")).id,
                )
            job.message_post(body=note)

    @api.model
    def _cron_release_expired_leases(self):
        self._release_expired_leases()
