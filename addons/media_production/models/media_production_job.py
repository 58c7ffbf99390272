import logging

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare

from ..tools import ACTIVE_STATES, CANCELLED, CLAIMED, DONE, FAILED, PRODUCING, QUEUED, STAGING, manifest_md5

_logger = logging.getLogger(__name__)


class MediaProductionJob(models.Model):
    """One media kit to produce at one site: manifest, label data, robot parameters, state.

    The stations' external API on this model lives in ``media_production_job_station.py``.
    """

    _name = "media.production.job"
    _description = "Media Production Job"
    _inherit = ["mail.thread"]
    _order = "id desc"

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
    routed_at = fields.Datetime(
        "Routed on",
        readonly=True,
        index=True,
        help="When the job was given to its current site: it counts in that site's capacity on "
        "that day (the site's time zone).",
    )
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
    disc_ids = fields.One2many(
        "media.production.disc", "job_id", "Discs", readonly=True, help="The copies the station reported."
    )
    disc_verified_count = fields.Integer("Verified discs", compute="_compute_disc_verified_count")
    image_md5 = fields.Char(
        "Image MD5",
        readonly=True,
        help="MD5 of the disc image the station burned and verified the discs against "
        "(empty for media that get no image, such as USB drives).",
    )
    failure_reason = fields.Text(readonly=True)
    station_log = fields.Text(readonly=True)
    rerouted_from_ids = fields.Many2many("media.production.site", string="Failed at", readonly=True)
    delivery_id = fields.Many2one(
        "stock.picking", compute="_compute_delivery_id", help="The delivery that ships the kits."
    )
    label_template_id = fields.Many2one(
        "media.label.template", default=lambda self: self.env["media.label.template"].search([], limit=1)
    )

    _image_md5_format = models.Constraint(
        "CHECK(image_md5 IS NULL OR image_md5 ~ '^[0-9a-f]{32}$')",
        "The image MD5 is 32 lowercase hexadecimal digits.",
    )

    def _compute_delivery_id(self):
        for job in self:
            moves = job.sale_line_id.sudo().move_ids.filtered(lambda m: m.state != "cancel")
            pickings = moves.picking_id.filtered(
                lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
            )
            job.delivery_id = pickings[:1]

    @api.depends("disc_ids.verified")
    def _compute_disc_verified_count(self):
        for job in self:
            job.disc_verified_count = len(job.disc_ids.filtered("verified"))

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
        if not self.env.su and set(vals) - self._user_writable_fields():
            raise AccessError(self.env._("Production job state is changed through its actions only."))
        return super().write(vals)

    @api.model
    def _user_writable_fields(self):
        """What a user may write on a job: its label and what the chatter keeps. Everything else
        (copies, media type, MO, site, state, reroute history...) follows the sale, the routing
        and the station's reports, through the job's own methods."""
        return {"label_template_id"} | {
            name for name in self._fields if name.startswith(("message_", "activity_"))
        }

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

    @api.constrains("site_id", "company_id")
    def _check_site_company(self):
        for job in self:
            if job.site_id and job.site_id.company_id != job.company_id:
                raise ValidationError(
                    self.env._(
                        "Job %(job)s belongs to %(company)s: site %(site)s, of %(other)s, cannot produce it.",
                        job=job.name,
                        company=job.company_id.name,
                        site=job.site_id.name,
                        other=job.site_id.company_id.name,
                    )
                )

    def _ensure_media_group(self, group):
        """Jobs' actions are for production staff: ``group``'s members (and the superuser)."""
        if not self.env.su and not self.env.user.has_group(group):
            raise AccessError(
                self.env._(
                    "Only %(group)s users may do this with production jobs.",
                    group=self.env.ref(group).sudo().full_name,
                )
            )

    def _route(self):
        """Give each job its site: the one chosen for its sale line when the order was confirmed
        (whose warehouse makes and ships the kit), unless that site is down or the job failed
        there; otherwise the routing rules. Today's load of the sites is counted once for all
        the jobs routed together, and the rules are read once."""
        load = self.env["media.production.site"].sudo()._routing_load(lock=True)
        cache = {}
        for job in self:
            chosen = job.sale_line_id.media_site_id
            if (
                chosen
                and chosen not in job.rerouted_from_ids
                and not chosen.is_down
                and chosen.company_id == job.company_id
            ):
                site = chosen
            else:
                site = job._pick_site(job.rerouted_from_ids, load, cache)
            if site:
                job._assign_site(site, load)
            else:
                job.message_post(
                    body=self.env._(
                        "%(company)s has no production site that can take this job: it waits for one.",
                        company=job.company_id.name,
                    )
                )

    def _assign_site(self, site, load):
        """Give the job to ``site`` and count it in ``load`` (see ``_routing_load``); a site
        that was already full gets it all the same, and so does a site that does not make the
        job's media as it must be made when no site does, each with a note in the chatter."""
        self.ensure_one()
        full = site._is_full(load)
        site._book(load)
        self.sudo().write({"site_id": site.id, "routed_at": fields.Datetime.now()})
        if not site._makes(self.media_type_id):
            self.message_post(
                body=self.env._(
                    "No site that makes %(media)s as it must be made (its discs verified by the "
                    "robot) can take this job: %(site)s takes it, and its discs are recorded as "
                    "not verified.",
                    media=self.media_type_id.name or "-",
                    site=site.name,
                )
            )
        if full:
            self.message_post(
                body=self.env._(
                    "No site that can produce this job has room today: %(site)s takes it over its "
                    "capacity of %(capacity)s jobs per day.",
                    site=site.name,
                    capacity=site.daily_capacity,
                )
            )

    def _pick_site(self, excluded, load=None, cache=None):
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
                load=load,
                cache=cache,
            )
        )

    def _next_site(self, load=None, excluded=None):
        """The site a failed job would go to next, or an empty recordset: routing's choice
        (``_pick_site``) without the sites the job failed at (and ``excluded``), provided it
        makes the job's media as it must be made."""
        self.ensure_one()
        excluded = self.rerouted_from_ids | self.site_id | (excluded or self.site_id.browse())
        site = self._pick_site(excluded, load)
        if site in excluded or not site._makes(self.media_type_id):
            return self.env["media.production.site"]
        return site

    def _reroute_next(self, load):
        """Reroute the job to the next site that can take it: a site whose warehouse cannot
        take over the manufacturing order is left out for the one after it. Returns the site
        (empty when none could) and why the sites left out could not."""
        self.ensure_one()
        excluded = self.env["media.production.site"]
        refusals = []
        site = self._next_site(load, excluded)
        while site:
            reason = self._reroute_to(site, load)
            if not reason:
                return site, refusals
            refusals.append(f"{site.name}: {reason}")
            excluded |= site
            site = self._next_site(load, excluded)
        return site, refusals

    def action_reroute(self):
        """A production operator sends failed jobs to the next site and queues them again."""
        self._ensure_media_group("media_production.group_media_operator")
        if not self.filtered(lambda j: j.state == FAILED):
            raise UserError(self.env._("Only failed jobs are rerouted."))
        load = self.env["media.production.site"].sudo()._routing_load(lock=True)
        for job in self.filtered(lambda j: j.state == FAILED):
            site, refusals = job._reroute_next(load)
            if not site:
                raise ValidationError(
                    self.env._(
                        "No other site can produce %(job)s (%(media)s); it failed at: %(sites)s.%(why)s",
                        job=job.name,
                        media=job.media_type_id.name or "-",
                        sites=", ".join((job.rerouted_from_ids | job.site_id).mapped("name")),
                        why="".join(f"\n{refusal}" for refusal in refusals),
                    )
                )
        return True

    def _reroute_to(self, site, load=None):
        """Queue the job again at ``site``: first its manufacturing order and delivery move to
        the site's warehouse (see ``_relocate_production``), then the job and its sale line go
        to the site. Returns an empty text, or why the job could not go there (it then stays
        where it is, and its chatter says why)."""
        self.ensure_one()
        previous = self.site_id
        reason = self._relocate_production(site)
        if reason:
            self.message_post(
                body=self.env._("Not rerouted to %(site)s: %(reason)s", site=site.name, reason=reason)
            )
            return reason
        if load is None:
            load = site.sudo()._routing_load(lock=True)
        self.sudo().write(
            {
                "rerouted_from_ids": [fields.Command.link(previous.id)] if previous else [],
                "state": QUEUED,
                "lease_until": False,
                "claimed_by": False,
                "lease_token": False,
            }
        )
        self._assign_site(site, load)
        if self.sale_line_id:
            self.sale_line_id.sudo().media_site_id = site
        self.message_post(
            body=self.env._("Rerouted from %(old)s to %(new)s.", old=previous.name or "-", new=site.name)
        )
        return ""

    def _apply_reroute_policy(self):
        """After a failure: the next site takes the job when the failed site says so."""
        load = None
        for job in self:
            site = job.site_id
            if not site.auto_reroute or len(job.rerouted_from_ids) >= site.max_reroutes:
                continue
            if load is None:
                load = self.env["media.production.site"].sudo()._routing_load(lock=True)
            target, refusals = job._reroute_next(load)
            if not target:
                job.message_post(
                    body=self.env._(
                        "Not rerouted automatically: no other site can produce %(media)s.%(why)s",
                        media=job.media_type_id.name or job.product_id.display_name,
                        why="".join(f" {refusal}." for refusal in refusals),
                    )
                )

    def action_cancel(self):
        """A production manager cancels jobs that are not done."""
        self._ensure_media_group("media_production.group_media_manager")
        jobs = self.filtered(lambda j: j.state not in (DONE,)).sudo()
        jobs.write({"state": CANCELLED, "lease_until": False, "lease_token": False})
        for job in jobs.filtered("production_id"):
            job.message_post(
                body=self.env._(
                    "Cancelled. Manufacturing order %(mo)s and its delivery stay open: cancel them, or "
                    "produce the kits another way.",
                    mo=job.production_id.name,
                )
            )
        return True

    # --- stock: the manufacturing order and the delivery follow the site ----------------------

    def _production_warehouse(self, site=None):
        """The warehouse that makes and ships the job's kit at ``site`` (default: its current
        site): the site's own warehouse, else the sale order's."""
        self.ensure_one()
        site = site or self.site_id
        return site.warehouse_id or self.sale_line_id.order_id.warehouse_id

    @api.model
    def _split_delivery_share(self, production):
        """The open moves downstream of ``production`` (pick, pack, ship) that carry its kits.
        A move that carries more (the kits of another manufacturing order of the same line,
        merged into one delivery move) is split: the part of this order's quantity is split
        off, fed by this order alone, and returned; the rest stays with the other orders."""
        Move = production.env["stock.move"]
        share = production.product_uom_qty  # this order's kits, in the product's unit
        rounding = production.product_id.uom_id.rounding
        chain = Move
        ours = production.move_finished_ids.filtered(
            lambda m: m.product_id == production.product_id and m.state not in ("done", "cancel")
        )
        while ours:
            found = Move
            for dest in ours.move_dest_ids.filtered(lambda m: m.state not in ("done", "cancel")) - chain:
                if float_compare(dest.product_qty, share, precision_rounding=rounding) > 0:
                    part = Move.create(dest._split(share))
                    part.move_orig_ids = [fields.Command.set((dest.move_orig_ids & ours).ids)]
                    dest.move_orig_ids = [fields.Command.unlink(move.id) for move in ours]
                    dest = part
                found |= dest
            chain |= found
            ours = found
        return chain

    def _relocate_production(self, site):
        """Move the kit's manufacturing order and its share of the delivery to the warehouse
        of ``site``; returns an empty text, or why they cannot move (nothing changed then).

        The open manufacturing order and the delivery moves it feeds (its own share of them:
        see ``_split_delivery_share``) are cancelled in the old warehouse, and the order's
        quantity is procured again from the sale line, now from the new warehouse (the
        standard MTO + Manufacture routes): a new manufacturing order, which becomes the
        job's, and new delivery moves. Nothing moves when there is nothing to move (no open
        manufacturing order, the same warehouse); the chatter says so."""
        self.ensure_one()
        job = self.sudo()
        production = job.production_id
        line = job.sale_line_id
        warehouse = job._production_warehouse(site)
        old = production.picking_type_id.warehouse_id
        note = None
        if not line or not production:
            note = self.env._("The job has no manufacturing order of a sale to move.")
        elif production.state in ("done", "cancel"):
            note = self.env._(
                "Manufacturing order %(mo)s is %(state)s: it stays as it is.",
                mo=production.name,
                state=production.state,
            )
        elif not warehouse:
            note = self.env._(
                "%(site)s has no warehouse: manufacturing order %(mo)s stays in %(wh)s.",
                site=site.name,
                mo=production.name,
                wh=old.name,
            )
        elif old == warehouse:
            note = self.env._(
                "Manufacturing order %(mo)s stays in %(wh)s, which makes and ships the kits of %(site)s too.",
                mo=production.name,
                wh=warehouse.name,
                site=site.name,
            )
        if note:
            job.message_post(body=note)
            return ""
        known_moves = line.move_ids
        try:
            with self.env.cr.savepoint():
                chain = job._split_delivery_share(production)
                ends = chain.filtered(lambda m: not (m.move_dest_ids & chain))
                if not ends:
                    raise UserError(
                        self.env._(
                            "manufacturing order %(mo)s feeds no delivery of the order.", mo=production.name
                        )
                    )
                # what the customer still gets from this order: its delivery share, which is less
                # than the order's quantity when the sale line was lowered after confirmation
                quantity = min(production.product_uom_qty, sum(ends.mapped("product_qty")))
                production.with_context(skip_activity=True).action_cancel()
                chain.with_context(skip_cancel_activity=True)._action_cancel()
                line = line.with_company(line.company_id)
                values = line._prepare_procurement_values()
                values["warehouse_id"] = warehouse
                procurements = line._create_procurements(quantity, line.product_id.uom_id, values)
                self.env["stock.rule"].sudo().with_context(media_production_job_id=job.id).run(procurements)
                if job.production_id == production:
                    raise UserError(
                        self.env._("%(wh)s made no manufacturing order for the kit.", wh=warehouse.name)
                    )
        except psycopg2.Error:
            raise  # the transaction's own trouble (e.g. a concurrent update): retried as a whole
        except Exception as error:  # whatever stops the stock rules: the job stays where it is
            if not isinstance(error, UserError):
                _logger.exception("Moving %s to %s failed", production.name, warehouse.name)
            reason = self.env._(
                "the manufacturing order and the delivery stay in %(old)s: %(error)s",
                old=old.name,
                error=error.args[0] if error.args else str(error),
            )
            return reason
        # as sale_stock does after a procurement: confirming the pickings triggers the scheduler
        (line.move_ids - known_moves).filtered(lambda m: m.state != "cancel").picking_id.filtered(
            lambda p: p.state not in ("done", "cancel")
        ).action_confirm()
        job.message_post(
            body=self.env._(
                "Manufacturing order %(old)s was cancelled; %(new)s makes the kit in %(wh)s, which ships it.",
                old=production.name,
                new=job.production_id.name,
                wh=warehouse.name,
            )
        )
        return ""

    # --- internals ------------------------------------------------------------------------

    @api.model
    def _release_expired_leases(self):
        """Put the jobs whose lease ran out back in the queue. A job another transaction is
        releasing or reporting on at that moment is left to it (stations claiming at the same
        time do not wait for, nor fail, each other)."""
        self.flush_model(["state", "lease_until"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM media_production_job WHERE state IN %s AND lease_until < %s ORDER BY id",
                tuple(ACTIVE_STATES),
                fields.Datetime.now(),
            )
        )
        expired = self.sudo().browse(self._lock_now([row[0] for row in self.env.cr.fetchall()]))
        for job in expired:
            job.write({"state": QUEUED, "lease_until": False, "claimed_by": False, "lease_token": False})
            job.message_post(body=self.env._("The station's lease ran out: the job is back in the queue."))
        return expired

    @api.model
    def _lock_now(self, job_ids, limit=None):
        """The ids of ``job_ids`` (in that order, at most ``limit``) that this transaction locks
        for itself now: a job another transaction holds is skipped rather than waited for, and
        so is a job another transaction changed since this one began (under PostgreSQL's
        repeatable read, locking it would fail this transaction, to be retried from the start).
        Stations claiming and releasing at the same time, through any number of Odoo
        processes, thus neither wait for nor fail each other."""
        locked = []
        for job_id in job_ids:
            if limit is not None and len(locked) >= limit:
                break
            try:
                with self.env.cr.savepoint(flush=False):
                    self.env.cr.execute(
                        SQL(
                            "SELECT id FROM media_production_job WHERE id = %s FOR UPDATE SKIP LOCKED", job_id
                        ),
                        log_exceptions=False,
                    )
                    row = self.env.cr.fetchone()
            except psycopg2.errors.SerializationFailure:
                continue  # changed by another transaction since this one began
            if row:
                locked.append(job_id)
        return locked

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
                # the reason comes from a station: plain text in the note's HTML, never markup
                order.activity_schedule(
                    "mail.mail_activity_data_todo",
                    note=Markup("<p>%s</p>") % note,
                    summary=self.env._("Media production failed"),
                    user_id=(order.user_id or self.env.ref("base.user_admin")).id,
                )
            job.message_post(body=note)

    @api.model
    def _cron_release_expired_leases(self):
        self._release_expired_leases()
