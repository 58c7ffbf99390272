import base64
import secrets
import unicodedata
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from ..tools import (
    ACTIVE_STATES,
    CLAIMED,
    DONE,
    ENDED_STATES,
    FAILED,
    MAX_DISCS_PER_REPORT,
    MAX_LEASE_SECONDS,
    MAX_SERIAL_LENGTH,
    MIN_LEASE_SECONDS,
    PRODUCING,
    QUEUED,
    STAGING,
    STATION_GROUP,
    manifest_md5,
)


class MediaProductionJobStation(models.Model):
    """The external API of production stations on ``media.production.job``.

    A site's station program calls these public methods over JSON-2
    (``/json/2/media.production.job/<method>``) or XML-RPC as the site's technical *station
    user*, whose API key it holds. Every method sees the caller's own site only, checks its
    arguments (``ValidationError`` for malformed ones, ``AccessError`` for another site's job
    or a lease the caller does not hold) and changes jobs as superuser through the job's own
    methods: a station has no write access to jobs, discs or manifests itself. Reports on a
    job that has ended are idempotent.
    """

    _inherit = "media.production.job"

    # --- who is calling, about which job ---------------------------------------------------

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
        if job.state not in ENDED_STATES and not job._station_holds(lease):
            raise AccessError(
                self.env._(
                    "This station does not hold the current lease of job %(job)s: the lease given is "
                    "not the one of its claim (it ran out and the job was claimed again, or it is wrong).",
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
        if (
            isinstance(lease_seconds, bool)
            or not isinstance(lease_seconds, int)
            or not MIN_LEASE_SECONDS <= lease_seconds <= MAX_LEASE_SECONDS
        ):
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

    # --- claiming and packages ---------------------------------------------------------------

    @api.model
    def station_claim(self, station="station", limit=1, lease_seconds=900):
        """Claim up to ``limit`` queued jobs of the caller's site for ``lease_seconds``; each
        package carries the ``lease`` that the station's reports on that job must give."""
        site = self._station_site()
        if isinstance(limit, bool) or not (isinstance(limit, int) and 1 <= limit <= 50):
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
        site._station_beat()
        return packages

    @api.model
    def station_package(self, job_id):
        job, _site = self._station_job(job_id)
        return job._station_package()

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
            "requires_verification": self._station_requires_verification(),
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

    def _station_requires_verification(self):
        """Whether each disc of this job must be reported verified: its media type requires it
        (a job without a media type is made on discs, as its package says) and its site's robot
        verifies discs."""
        self.ensure_one()
        required = self.media_type_id.requires_verification if self.media_type_id else True
        return required and self.site_id.robot_verifies

    @api.model
    def station_heartbeat(self, leases=None, lease_seconds=900):
        """The station is alive; the leases it still holds (``{job id: lease}``) are renewed.
        Returns the ids of the renewed jobs: a job missing there is no longer the station's."""
        lease_seconds = self._station_lease_seconds(lease_seconds)
        jobs, site = self._station_leases(leases or {})
        site._station_beat()
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

    # --- reports -----------------------------------------------------------------------------

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
    def station_report_success(
        self, job_id, copies, serials=(), checksums_verified=False, lease=None, discs=None, image_md5=""
    ):
        """The robot produced and verified the copies: the discs are recorded and the
        manufacturing order is completed (idempotent: a job already done answers ``done``).

        :param copies: how many copies were produced: the job's copies
        :param serials: the copies' serial numbers (non-empty, distinct texts, one per copy);
            taken from ``discs`` when empty
        :param checksums_verified: must be ``True``: the staged files matched the manifest
        :param discs: one ``{"serial": str, "verified": true or null}`` per copy produced:
            true when the robot verified it against the image, null when nothing verified it
            (a disc that failed verification is a failed job); required when the job's media
            type requires
            verification (disc media)
        :param image_md5: MD5 of the burned image (32 hexadecimal digits); required for disc
            media, empty for media that get no image

        A site whose station predates disc reports (``station_reports_discs`` not set) may
        still report without ``discs`` and ``image_md5``: its copies are recorded as not
        verified, with a note; its first report with discs sets the site's flag.
        """
        job, _site = self._station_leased_job(job_id, lease)
        if job.state == DONE:
            return DONE
        if job.state not in ACTIVE_STATES:
            raise ValidationError(
                self.env._("Job %(job)s is %(state)s; it cannot succeed now.", job=job.name, state=job.state)
            )
        serials, disc_values, image_md5, legacy = job._station_check_success(
            copies, serials, checksums_verified, discs, image_md5
        )
        job.write(
            {
                "state": DONE,
                "copies_done": copies,
                "serials": "\n".join(serials)[:20000],
                "image_md5": image_md5 or False,
                "disc_ids": [fields.Command.create(values) for values in disc_values],
                "lease_until": False,
                "lease_token": False,
            }
        )
        if legacy:
            job.message_post(
                body=self.env._(
                    "The station of %(site)s reports no discs yet (it predates disc verification): "
                    "the copies are recorded as not verified. Upgrade the station.",
                    site=job.site_id.name,
                )
            )
        elif discs is not None and not job.site_id.station_reports_discs:
            job.site_id.sudo().station_reports_discs = True  # the station was upgraded
        job._complete_production()
        job.message_post(
            body=self.env._("Produced %(copies)s cop(ies) at %(site)s.", copies=copies, site=job.site_id.name)
        )
        return DONE

    def _station_check_success(self, copies, serials, checksums_verified, discs, image_md5):
        """Check a success report on this job; returns its serials (texts), the values of its
        disc records, its image MD5 (lowercase, or empty) and whether it is a report of a
        station that predates disc reports. ``ValidationError`` otherwise."""
        self.ensure_one()
        if not isinstance(copies, int) or isinstance(copies, bool) or copies != self.copies:
            raise ValidationError(
                self.env._(
                    "A success report gives the job's copies: job %(job)s has %(copies)s, the report "
                    "gives %(done)s.",
                    job=self.name,
                    copies=self.copies,
                    done=copies,
                )
            )
        if checksums_verified is not True:
            raise ValidationError(
                self.env._(
                    "A success report needs verified checksums: the station must check the staged "
                    "files against the manifest and say so (checksums_verified: true)."
                )
            )
        if not isinstance(image_md5, str) or (image_md5 and not manifest_md5(image_md5)):
            raise ValidationError(
                self.env._("image_md5 must be 32 hexadecimal digits, or empty for media that get no image.")
            )
        legacy = discs is None and not self.site_id.station_reports_discs
        is_disc = self.media_type_id.is_disc if self.media_type_id else True
        serials = self._station_check_serials(serials)
        if serials and len(serials) != copies:
            raise ValidationError(
                self.env._(
                    "The report gives %(serials)s serials for %(copies)s copies: one per copy, or none.",
                    serials=len(serials),
                    copies=copies,
                )
            )
        disc_values = self._station_check_discs(copies, discs)
        if self._station_requires_verification() and not disc_values and not legacy:
            raise ValidationError(
                self.env._(
                    "%(media)s discs must be verified: the success report of job %(job)s must list each "
                    "disc with its serial and its verification.",
                    media=self.media_type_id.name or self.env._("Disc"),
                    job=self.name,
                )
            )
        if is_disc and not image_md5 and not legacy:
            raise ValidationError(
                self.env._(
                    "The success report of job %(job)s needs the MD5 of the disc image burned (image_md5).",
                    job=self.name,
                )
            )
        if serials and disc_values and set(serials) != {values["serial"] for values in disc_values}:
            raise ValidationError(
                self.env._(
                    "The report's serials and discs name different discs: give the same serials in "
                    "both, or only discs."
                )
            )
        if not legacy and not serials and not disc_values:
            raise ValidationError(
                self.env._(
                    "The success report of job %(job)s lists no disc: give one disc (or serial) per copy.",
                    job=self.name,
                )
            )
        if not disc_values:  # media without verification: the serials say which copies exist
            disc_values = [
                {"sequence": index, "serial": serial, "verified": False}
                for index, serial in enumerate(serials, start=1)
            ]
        if not serials:
            serials = [values["serial"] for values in disc_values]
        return serials, disc_values, manifest_md5(image_md5) or "", legacy

    @api.model
    def _station_check_serials(self, serials):
        message = self.env._(
            "serials must be a list of distinct, non-empty texts of at most %(max)s printable characters.",
            max=MAX_SERIAL_LENGTH,
        )
        if not isinstance(serials, (list, tuple)) or len(serials) > MAX_DISCS_PER_REPORT:
            raise ValidationError(message)
        texts = []
        for serial in serials:
            if not isinstance(serial, str):
                raise ValidationError(message)
            serial = serial.strip()
            if not _printable_serial(serial):
                raise ValidationError(message)
            texts.append(serial)
        if len(set(texts)) != len(texts):
            raise ValidationError(message)
        return texts

    def _station_check_discs(self, copies, discs):
        """The disc records' values from a report's ``discs`` (none when not given)."""
        self.ensure_one()
        if discs is None:
            return []
        if not isinstance(discs, (list, tuple)) or len(discs) > MAX_DISCS_PER_REPORT:
            raise ValidationError(
                self.env._(
                    'discs must be a list of at most %(max)s objects {"serial": text, "verified": '
                    "true or false}, one per copy.",
                    max=MAX_DISCS_PER_REPORT,
                )
            )
        values, seen = [], set()
        for index, disc in enumerate(discs, start=1):
            serial = disc.get("serial") if isinstance(disc, dict) else None
            verified = disc.get("verified", "missing") if isinstance(disc, dict) else "missing"
            if (
                not isinstance(serial, str)
                or not _printable_serial(serial.strip())
                or not (verified is None or isinstance(verified, bool))
            ):
                raise ValidationError(
                    self.env._(
                        "Disc %(index)s of the report: give its serial (a non-empty text of at most "
                        "%(max)s printable characters) and whether it was verified (true, false, or null when "
                        "nothing verified it).",
                        index=index,
                        max=MAX_SERIAL_LENGTH,
                    )
                )
            if serial.strip() in seen:
                raise ValidationError(
                    self.env._(
                        "Disc %(index)s of the report repeats serial %(serial)s: each disc has its own.",
                        index=index,
                        serial=serial.strip(),
                    )
                )
            seen.add(serial.strip())
            values.append({"sequence": index, "serial": serial.strip(), "verified": verified})
        unverified = [v["serial"] or str(v["sequence"]) for v in values if v["verified"] is None]
        if unverified and self._station_requires_verification():
            raise ValidationError(
                self.env._(
                    "%(media)s discs must be verified, and disc(s) %(discs)s of job %(job)s were not: "
                    "its site's robot verifies discs (Robot verifies discs on the site).",
                    media=self.media_type_id.name or self.env._("Disc"),
                    discs=", ".join(unverified[:10]),
                    job=self.name,
                )
            )
        if len(values) != copies:
            raise ValidationError(
                self.env._(
                    "The report lists %(discs)s discs for %(copies)s copies: it lists one disc per copy.",
                    discs=len(values),
                    copies=copies,
                )
            )
        failed = [v["serial"] or str(v["sequence"]) for v in values if v["verified"] is False]
        if failed:
            raise ValidationError(
                self.env._(
                    "Job %(job)s: disc(s) %(discs)s failed verification. A disc that fails "
                    "verification is a failure: report the job as failed, not done.",
                    job=self.name,
                    discs=", ".join(failed[:10]),
                )
            )
        # recorded: verified, or not; a site whose robot does not verify makes no verified disc
        verifies = self.site_id.robot_verifies
        for value in values:
            value["verified"] = bool(value["verified"]) and verifies
        return values

    @api.model
    def station_report_failure(self, job_id, reason, log="", lease=None):
        """The job failed at the site: people are told and the reroute policy applies (idempotent)."""
        site = self._station_site()
        valid_id = isinstance(job_id, int) and not isinstance(job_id, bool)
        rerouted = self.sudo().browse(job_id).exists() if valid_id else None
        if rerouted and site in rerouted.rerouted_from_ids and rerouted.site_id != site:
            return FAILED  # a repeated report after the job moved on to another site
        job, _site = self._station_leased_job(job_id, lease)
        if job.state in ENDED_STATES:
            return job.state
        if not isinstance(reason, str) or not reason.strip():
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


def _printable_serial(serial):
    """A disc serial: non-empty, at most MAX_SERIAL_LENGTH characters, none of them a control or
    format character (line breaks would split the job's serial list, direction overrides
    disguise it)."""
    return 0 < len(serial) <= MAX_SERIAL_LENGTH and not any(
        unicodedata.category(char).startswith("C") for char in serial
    )
