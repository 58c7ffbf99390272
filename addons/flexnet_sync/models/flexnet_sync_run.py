import logging

from psycopg2 import OperationalError

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from .. import flexnet_client as fc
from ..sync import KINDS, SyncEngine
from ..sync.engine import SYNC_CHANNEL, SyncBusy

_logger = logging.getLogger(__name__)

RUN_RUNNING = "running"
RUN_DONE = "done"
RUN_FAILED = "failed"
RUN_KINDS = [
    ("products", "Products"),
    ("accounts", "Accounts"),
    ("users", "Member users"),
    ("lines", "Entitlement lines"),
]


class FlexnetSyncRun(models.Model):
    """One synchronisation of one kind of FlexNet record, with its counts and errors."""

    _name = "flexnet.sync.run"
    _description = "FlexNet Synchronisation Run"
    _order = "date_start desc, id desc"
    _rec_name = "kind"

    backend_id = fields.Many2one("flexnet.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    kind = fields.Selection(RUN_KINDS, required=True)
    mode = fields.Selection([("full", "Full"), ("incremental", "Incremental")], required=True, default="full")
    state = fields.Selection(
        [(RUN_RUNNING, "Running"), (RUN_DONE, "Done"), (RUN_FAILED, "Failed")],
        default=RUN_RUNNING,
        required=True,
    )
    date_start = fields.Datetime(required=True, default=fields.Datetime.now)
    date_end = fields.Datetime()
    duration = fields.Float("Duration (s)", compute="_compute_duration")
    watermark_from = fields.Datetime(help="Records modified after this time were asked for.")
    watermark_to = fields.Datetime(
        help="Latest modification time seen; the next incremental run starts here."
    )
    page_count = fields.Integer()
    total_count = fields.Integer(
        "Total",
        help="What FlexNet counted for the run's query before the walk (with the records retried); "
        "0 when the site could not count.",
    )
    read_count = fields.Integer(
        "Read", help="Records read from FlexNet so far (products, accounts, users or line items)."
    )
    progress = fields.Float(compute="_compute_progress", help="Records read out of the total, in %.")
    fetched_count = fields.Integer("Fetched")
    created_count = fields.Integer("Created")
    updated_count = fields.Integer("Updated")
    unchanged_count = fields.Integer("Unchanged")
    failed_count = fields.Integer("Failed")
    failed_page_count = fields.Integer(
        "Failed pages",
        help="Job mode: pages FlexNet could not serve (the walk stopped there) or Odoo could not "
        "import (see the error log). The run closes failed: its watermark stays where it was.",
    )
    retried_count = fields.Integer(
        "Retried", help="Records that an earlier run could not import, read again by their key."
    )
    removed_count = fields.Integer(
        "Removed",
        help="Full runs: records Odoo held that FlexNet no longer has, marked as such (see the "
        "reconciliation log).",
    )
    reconcile_log = fields.Text("Reconciliation", help="What a full run marked removed, by key.")
    reconcile_warning = fields.Text(
        "Reconciliation warning",
        help="Why a run marked nothing removed although FlexNet no longer has records Odoo holds "
        "(more than the backend's limit): a full run's reconciliation, or an incremental run's "
        "users of no account; and how to proceed.",
    )
    error_log = fields.Text(
        help="One line per record that could not be imported, and the error that ended the run."
    )

    @api.depends("date_start", "date_end")
    def _compute_duration(self):
        for run in self:
            end = run.date_end or fields.Datetime.now()
            run.duration = (end - run.date_start).total_seconds() if run.date_start else 0.0

    @api.depends("read_count", "total_count")
    def _compute_progress(self):
        for run in self:
            run.progress = min(100.0, 100.0 * run.read_count / run.total_count) if run.total_count else 0.0

    def _compute_display_name(self):
        labels = dict(self._fields["kind"].selection)
        for run in self:
            run.display_name = f"{labels.get(run.kind, run.kind)} {run.date_start or ''}"

    def _job_import_page(self, records, retried=False):
        """Job: import one page of records read by ``backend._job_sync_kind`` (``retried``:
        records of the retry list, read again by key).

        Tried again while another synchronisation of the backend imports, or on a database
        concurrency error. Any other error of the page is written in the run's error log and
        counted as a failed page (the page's own writes are undone): the job ends done, so
        the run's next pages and its closing job run, and the closing job closes the run
        failed, its watermark where it was (the next run reads the page again)."""
        self.ensure_one()
        if self.state != RUN_RUNNING:
            return self.env._("Run %s is no longer running; page ignored.", self.display_name)
        try:
            with self.env.cr.savepoint():
                SyncEngine(self.backend_id.sudo()).import_serialized_page(self, records, retried=retried)
        except SyncBusy as exc:
            raise RetryableJobError(str(exc), seconds=30, ignore_retry=True) from exc
        except OperationalError as exc:
            if exc.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY:
                raise  # queue_job tries the job again
            return self._page_failed(records, exc)
        except Exception as exc:  # recorded on the run, which ends failed
            return self._page_failed(records, exc)
        return self.env._("Imported %s record(s).", len(records))

    def _page_failed(self, records, exc):
        _logger.exception(
            "FlexNet %s run %s: a page of %s record(s) failed", self.kind, self.id, len(records)
        )
        self._record_failed_page(
            self.env._(
                "A page of %(count)s record(s) could not be imported: %(error)s",
                count=len(records),
                error=f"{type(exc).__name__}: {exc}",
            )
        )
        return self.env._("Page not imported: %s", exc)

    def _record_failed_page(self, error):
        """Count a page the run could not read or import; its closing job closes it failed."""
        self.write(
            {
                "failed_page_count": self.failed_page_count + 1,
                "error_log": "\n".join(filter(None, [self.error_log, error]))[-100000:],
            }
        )

    def _job_finish(self):
        """Job: close the run and advance the watermark. In the synchronisation's dependency
        graph it runs once the run's last page job is done (``PageChain``): a run with a page
        that could not be read or imported closes failed."""
        self.ensure_one()
        if self.state != RUN_RUNNING:
            return self.env._("Run already closed.")
        if self.failed_page_count:
            self._close(
                RUN_FAILED,
                self.env._(
                    "%s page(s) could not be read or imported; the watermark stays where it was.",
                    self.failed_page_count,
                ),
            )
        else:
            engine = SyncEngine(self.backend_id.sudo())
            try:
                engine._lock()
                engine.finish(self)
            except SyncBusy as exc:
                raise RetryableJobError(str(exc), seconds=30, ignore_retry=True) from exc
            except fc.TransportError as exc:  # the reconciliation's lookups: FlexNet is away
                raise RetryableJobError(str(exc), seconds=60) from exc
            except fc.FlexNetError as exc:
                self._close(RUN_FAILED, f"{type(exc).__name__}: {exc}")
        return self.state

    def _job_finish_failed(self, exc_name=None, exc_message=None, **_kw):
        """queue_job's failure hook of ``_job_finish`` (called once the closing job failed for
        good, retries exhausted): the run ends failed with the reason, its watermark where it
        was, nothing reconciled, and the keys it read are deleted. The synchronisation goes on
        with its next kind, as after a run that failed: the jobs waiting for this closing job
        are released (queue_job keeps the dependents of a failed job waiting, which would hold
        up the next kinds and, through their identity key, every later synchronisation)."""
        for run in self.filtered(lambda r: r.state == RUN_RUNNING):
            run._close(
                RUN_FAILED,
                self.env._(
                    "The closing job failed: %(reason)s. Nothing was reconciled and the watermark stays where "
                    "it was; run a full synchronisation again.",
                    reason=exc_message or exc_name or self.env._("unknown error"),
                ),
            )
        if self:
            closing = (
                self.env["queue.job"]
                .sudo()
                .search(
                    [
                        ("model_name", "=", self._name),
                        ("method_name", "=", "_job_finish"),
                        ("state", "=", "failed"),
                        ("date_created", ">=", min(self.mapped("create_date"))),
                    ]
                )
                .filtered(lambda job: job.records & self)
            )
            closing.dependent_ids.filtered(lambda job: job.state == "wait_dependencies").state = "pending"

    def _close(self, state, error=None):
        values = {"state": state, "date_end": fields.Datetime.now()}
        if error:
            values["error_log"] = "\n".join(filter(None, [self.error_log, error]))
        self.write(values)
        # the keys read are needed by the reconciliation of a complete run only
        if self.ids:
            self.env.cr.execute(SQL("DELETE FROM flexnet_sync_seen WHERE run_id = ANY(%s)", self.ids))

    def action_retry(self):
        """Start the same kind again (from the watermark for an incremental run)."""
        self.ensure_one()
        self.backend_id._check_manager()
        if self.kind not in KINDS:
            raise UserError(self.env._("Unknown kind"))
        self.backend_id.with_delay(channel=SYNC_CHANNEL, max_retries=0)._job_sync_kind(
            self.kind, self.mode == "incremental"
        )
        return True
