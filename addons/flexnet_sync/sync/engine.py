"""Runs importers for a backend and keeps the books: sync runs, counts, watermarks."""

import logging
import queue
import threading
import uuid
from datetime import timedelta, timezone

from odoo import fields
from odoo.tools import SQL

from odoo.addons.queue_job.utils import must_run_without_delay

from .. import flexnet_client as fc
from .importer import IMPORTER_CLASSES, LineImporter, serialize
from .mapper import naive_utc

_logger = logging.getLogger(__name__)

IMPORTERS = {cls.kind: cls for cls in IMPORTER_CLASSES}
KINDS = tuple(IMPORTERS)  # dependency order: products, accounts, users, lines
_LOCK_NAMESPACE = 0x464E4F  # "FNO"
SYNC_CHANNEL = "root.flexnet"
# rows a synchronous run stores before the first ANALYZE of its tables (then at each doubling)
ANALYZE_FIRST = 5000
# records of the retry list a run reads again by key (the rest: the next runs)
RETRY_BATCH = 500
# after each failed attempt a record waits longer before an incremental run reads it again:
# RETRY_DELAY minutes, doubled each time, at most RETRY_MAX_DELAY; after RETRY_GIVE_UP attempts
# incremental runs no longer read it (it stays listed, given up; a full run still imports it
# when it can)
RETRY_DELAY = 15
RETRY_MAX_DELAY = 24 * 60
RETRY_GIVE_UP = 10


def prefetched(pages, timeout=600):
    """Yield the pages of ``pages`` while a thread already fetches the next one: FlexNet
    prepares and sends page N+1 while Odoo stores page N. Errors of the fetch are raised here,
    in order; the thread stops when the consumer does."""
    slot = queue.Queue(maxsize=1)
    stop = threading.Event()
    end = object()

    def put(item):
        while not stop.is_set():
            try:
                slot.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for page in pages:
                if not put(page):
                    return
            put(end)
        except Exception as exc:  # handed to the consumer, raised there
            put(exc)

    thread = threading.Thread(target=produce, name="flexnet-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = slot.get(timeout=timeout)
            if item is end:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


class SyncBusy(Exception):
    """Another synchronisation of the same backend holds the lock."""


class PageChain:
    """The jobs of one job-mode run, chained in queue_job's dependency graph.

    Each page job waits for the page job before it and the closing job for the last one:
    pages are imported in the order they were read, one at a time (they would wait for one
    another anyway: an import holds the backend's lock), and the run closes after its last
    page, whatever the channels' capacities. A job is stored when the one after it is known,
    with both ends of their dependency (queue_job looks at a finished job's dependants to
    start them), and then forgotten: the walk holds one page's payload at a time, never the
    whole kind (a walk of 40 pages of 200 lines peaks at the Python memory of one of 10).

    With jobs run at once (``queue_job__no_delay``, development only) every job has run when
    it is enqueued: there is nothing to chain."""

    def __init__(self, run, graph_uuid=None):
        self.run = run
        self.graph_uuid = graph_uuid or str(uuid.uuid4())
        self.count = 0
        self._last = None
        self._direct = must_run_without_delay(run.env)

    def _append(self, job):
        if self._direct:
            return
        job.graph_uuid = self.graph_uuid
        if self._last is not None:
            job.add_depends({self._last})
            self._last.store()
            # stored, its links are in the database: queue_job's Job keeps the jobs it depends
            # on (with their arguments) in memory, which would hold every page of the walk
            self._last._depends_on = set()
            # the stored page (and its payload) leaves the cache
            self.run.env["queue.job"].invalidate_model()
        self._last = job

    def add(self, records, retried=False):
        """Enqueue the import of one page (serialized records)."""
        self.count += 1
        backend = self.run.backend_id
        self._append(
            self.run.with_delay(
                channel=SYNC_CHANNEL,
                max_retries=0,  # retried while the backend is busy: never dropped
                description=f"FlexNet {self.run.kind} page {self.count} ({backend.name})",
            )._job_import_page(records, retried)
        )

    def close(self, successors=(), identity_key=None):
        """Enqueue the closing job after the last page; ``successors`` wait for it."""
        job = self.run.with_delay(
            channel=SYNC_CHANNEL,
            description=f"Close FlexNet {self.run.kind} run ({self.run.backend_id.name})",
        )._job_finish()
        if self._direct:
            return
        self._append(job)
        job.identity_key = identity_key  # set once stored: the graph's own jobs hold this key
        for successor in successors:
            # what it waits for already (loaded from the database), and the closing job
            successor.add_depends(successor.depends_on | {job})
            successor.store()
        job.store()


class SyncEngine:
    def __init__(self, backend):
        backend.ensure_one()
        self.backend = backend
        self.env = backend.env
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = self.backend._get_client()
        return self._client

    def _lock(self):
        """Transaction-level advisory lock: two syncs of one backend never run at once."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", _LOCK_NAMESPACE, self.backend.id))
        if not self.env.cr.fetchone()[0]:
            raise SyncBusy(f"another synchronisation of backend {self.backend.name} is running")

    def _new_run(self, kind, incremental):
        """A run of ``kind``; an incremental one asks for what changed since the kind's watermark
        less the backend's overlap (changes stamped late, or made while the last run read)."""
        importer_cls = IMPORTERS[kind]
        since = False
        if incremental and self.backend[importer_cls.watermark_field]:
            since = self.backend[importer_cls.watermark_field] - timedelta(
                minutes=self.backend.watermark_margin
            )
        return self.env["flexnet.sync.run"].create(
            {
                "backend_id": self.backend.id,
                "kind": kind,
                "mode": "incremental" if incremental else "full",
                "watermark_from": since,
            }
        )

    @staticmethod
    def _since(run):
        # stored naive UTC; the client wants an aware time
        return run.watermark_from.replace(tzinfo=timezone.utc) if run.watermark_from else None

    def _count(self, run, importer):
        """The run's total: what FlexNet counts for its query. A site whose count fails is
        read all the same, its progress unknown (returns False)."""
        try:
            total = importer.count(self.client, self._since(run))
        except fc.FlexNetError as exc:
            _logger.warning("FlexNet could not count the %s of %s: %s", run.kind, self.backend.name, exc)
            run.error_log = "\n".join(
                filter(
                    None, [run.error_log, f"FlexNet could not count the records (progress unknown): {exc}"]
                )
            )
            return False
        run.total_count = total or 0
        return True

    @staticmethod
    def _to_retry(run, retries, walked, counted):
        """The keys of the retry list the walk did not read again; they join the total."""
        keys = [key for key in retries if key not in walked]
        if keys and counted:
            run.total_count += len(keys)
        return keys

    def _retry_keys(self, kind, incremental=True):
        """Keys of the records of ``kind`` to read again, oldest due first. An incremental run
        takes those whose back-off has passed and that are not given up; a full run takes every
        one (those its walk does not return are looked up by key: what FlexNet no longer has
        leaves the list)."""
        if not IMPORTERS[kind].retriable:
            return []
        self.env.flush_all()
        due = (
            SQL(
                "AND NOT COALESCE(given_up, FALSE) AND (next_attempt IS NULL OR next_attempt <= %s)",
                fields.Datetime.now(),
            )
            if incremental
            else SQL()
        )
        self.env.cr.execute(
            SQL(
                """SELECT key FROM flexnet_sync_retry WHERE backend_id = %s AND kind = %s %s
                    ORDER BY next_attempt NULLS FIRST, id LIMIT %s""",
                self.backend.id,
                kind,
                due,
                RETRY_BATCH,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _account(self, run, importer, pages=0, last_seen=None):
        """Add an importer's counts, errors and removals to the run; store the keys a full run
        read and the changes of the retry list."""
        stats = importer.stats
        values = {
            "page_count": run.page_count + pages,
            "read_count": run.read_count + stats["read"],
            "fetched_count": run.fetched_count + importer.stats["fetched"],
            "created_count": run.created_count + importer.stats["created"],
            "updated_count": run.updated_count + importer.stats["updated"],
            "unchanged_count": run.unchanged_count + importer.stats["unchanged"],
            "failed_count": run.failed_count + importer.stats["failed"],
            "retried_count": run.retried_count + stats["retried"],
            "removed_count": run.removed_count + stats["removed"],
        }
        if importer.errors:
            values["error_log"] = "\n".join(filter(None, [run.error_log, *importer.errors]))[-100000:]
        if importer.warnings:
            values["reconcile_warning"] = "\n".join(filter(None, [run.reconcile_warning, *importer.warnings]))
        if importer.removed_log:
            values["reconcile_log"] = "\n".join(filter(None, [run.reconcile_log, *importer.removed_log]))[
                -100000:
            ]
        if last_seen and (not run.watermark_to or last_seen > run.watermark_to):
            values["watermark_to"] = last_seen
        run.write(values)
        if run.mode == "full" and importer.seen:
            self._store_seen(run, importer.seen)
        self._store_retries(run, importer)
        importer.reset()

    def _store_seen(self, run, seen):
        scopes, keys = zip(*dict.fromkeys(seen), strict=True)  # an entitlement's lines name it each
        self.env.cr.execute(
            SQL(
                "INSERT INTO flexnet_sync_seen (run_id, scope, key) SELECT %s, s, k FROM unnest(%s, %s) AS t(s, k)",
                run.id,
                list(scopes),
                list(keys),
            )
        )

    def _store_retries(self, run, importer):
        """Records imported, or gone from FlexNet, leave the retry list; records that failed
        join it (or count one more attempt, wait longer before the next one, and are given up
        after ``RETRY_GIVE_UP`` attempts: listed still, no longer read by incremental runs);
        listed records that failed for a reason that is not retried count an attempt too."""
        cr = self.env.cr
        done = (importer.imported | importer.gone) - set(importer.retry)
        if done:
            cr.execute(
                SQL(
                    "DELETE FROM flexnet_sync_retry WHERE backend_id = %s AND kind = %s AND key = ANY(%s)",
                    self.backend.id,
                    run.kind,
                    sorted(done),
                )
            )
        params = {
            "delay": RETRY_DELAY,
            "max_delay": RETRY_MAX_DELAY,
            "give_up": RETRY_GIVE_UP,
            "backend": self.backend.id,
            "kind": run.kind,
            "run": run.id,
            "now": fields.Datetime.now(),
            "uid": self.env.uid,
        }
        if importer.retry:
            keys, reasons = zip(*sorted(importer.retry.items()), strict=True)
            cr.execute(
                SQL(
                    """INSERT INTO flexnet_sync_retry AS r
                           (backend_id, company_id, kind, key, reason, run_id, attempt_count, last_attempt,
                            next_attempt, given_up, create_uid, write_uid, create_date, write_date)
                       SELECT %(backend)s, %(company)s, %(kind)s, k, m, %(run)s, 1, %(now)s,
                              %(now)s + make_interval(mins => %(delay)s), FALSE,
                              %(uid)s, %(uid)s, %(now)s, %(now)s
                         FROM unnest(%(keys)s, %(reasons)s) AS t(k, m)
                       ON CONFLICT (backend_id, kind, key) DO UPDATE
                          SET reason = EXCLUDED.reason, run_id = EXCLUDED.run_id,
                              attempt_count = r.attempt_count + 1, last_attempt = EXCLUDED.last_attempt,
                              next_attempt = EXCLUDED.last_attempt + make_interval(
                                  mins => LEAST(%(delay)s * power(2, LEAST(r.attempt_count, 20)), %(max_delay)s)::int),
                              given_up = r.attempt_count + 1 >= %(give_up)s,
                              write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date""",
                    **params,
                    company=self.backend.company_id.id,
                    keys=list(keys),
                    reasons=list(reasons),
                )
            )
        # a listed record not imported for a reason that is not retried counts an attempt and
        # waits as long as any other: it is given up in the end, not read again on every run
        failed = {
            key: reason
            for key, reason in importer.failed.items()
            if key not in importer.retry and key not in done
        }
        if failed:
            keys, reasons = zip(*sorted(failed.items()), strict=True)
            cr.execute(
                SQL(
                    """UPDATE flexnet_sync_retry r
                          SET reason = t.m, run_id = %(run)s, attempt_count = r.attempt_count + 1,
                              last_attempt = %(now)s,
                              next_attempt = %(now)s + make_interval(
                                  mins => LEAST(%(delay)s * power(2, LEAST(r.attempt_count, 20)), %(max_delay)s)::int),
                              given_up = r.attempt_count + 1 >= %(give_up)s,
                              write_uid = %(uid)s, write_date = %(now)s
                         FROM unnest(%(keys)s, %(reasons)s) AS t(k, m)
                        WHERE r.backend_id = %(backend)s AND r.kind = %(kind)s AND r.key = t.k""",
                    **params,
                    keys=list(keys),
                    reasons=list(reasons),
                )
            )
        if done or importer.retry or failed:
            self.env["flexnet.sync.retry"].invalidate_model()

    def _import(self, run, importer, page, retried=False):
        # retried records are old: they do not move the watermark
        last_seen = (
            None
            if retried
            else max((naive_utc(importer.modified(r)) for r in page if importer.modified(r)), default=None)
        )
        if retried:
            importer.stats["retried"] += len(page)
        importer.mode, importer.removed_before = run.mode, run.removed_count
        importer.import_page(page)
        created = importer.stats["created"]
        self._account(run, importer, pages=1, last_seen=last_seen)
        return created

    def run(self, kind, incremental=False):
        """Synchronous run of one kind; a FlexNet error ends the run as failed (pages already
        imported stay, the watermark does not move, so a rerun misses nothing; a full run
        reconciles nothing)."""
        run = self._new_run(kind, incremental)
        try:
            self._lock()
        except SyncBusy as exc:
            run._close("failed", str(exc))
            return run
        importer = IMPORTERS[kind](self.backend)
        stored, analyze_at = 0, ANALYZE_FIRST
        try:
            retries = self._retry_keys(kind, incremental)
            counted = self._count(run, importer)
            walked = set()
            for page in prefetched(importer.pages(self.client, self._since(run))):
                if retries:
                    walked.update(key for record in page for key in importer.keys_of(record))
                stored += self._import(run, importer, page)
                # keep memory flat: what a page loaded is not needed by the next one
                self.env.flush_all()
                self.env.invalidate_all(flush=False)
                if stored >= analyze_at:
                    self._analyze(importer)
                    analyze_at = 2 * stored
            for page in importer.retry_pages(self.client, self._to_retry(run, retries, walked, counted)):
                self._import(run, importer, page, retried=True)
            self._account(run, importer)
            self.finish(run)
        except fc.FlexNetError as exc:  # the pages imported before the fault stay
            self._account(run, importer)
            run._close("failed", f"{type(exc).__name__}: {exc}")
        return run

    def _analyze(self, importer):
        """Statistics of the tables a run fills, its own new rows included: autovacuum cannot
        see rows before the run commits, and PostgreSQL would go on planning (foreign-key
        checks of every insert included) for tables as small as they were before it. Its lock,
        held until the run commits, only keeps other ANALYZE and VACUUM runs of these tables
        waiting; reads and writes go on."""
        for model in importer.models:
            self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(self.env[model]._table)))

    def finish(self, run):
        """Close a complete run. A full run of a backend that reconciles (``reconcile_full_runs``)
        first reconciles (what Odoo holds and the walk did not return, see
        ``Importer.reconcile``). The kind's watermark moves to the latest change seen, but never
        past the start of the walk: a change made while the walk read pages it had passed is read
        by the next run.

        Raises the FlexNet errors of the reconciliation's lookups (nothing is marked then)."""
        if run.mode == "full" and self.backend.reconcile_full_runs:
            importer = IMPORTERS[run.kind](self.backend)
            importer.reconcile(self.client, run)
            self._account(run, importer)
        field = IMPORTERS[run.kind].watermark_field
        mark = run.watermark_to and min(run.watermark_to, run.date_start)
        if mark:
            run.watermark_to = mark
            if not self.backend[field] or mark > self.backend[field]:
                self.backend[field] = mark
        run._close("done")

    def enqueue_pages(self, kind, incremental=False, graph_uuid=None, successors=(), identity_key=None):
        """Job mode: stream the pages of ``kind`` and enqueue one import job per page (the
        records to retry last), then the run's closing job; returns the run and its number of
        page jobs (a page job adds itself to the run's ``page_count`` once imported, as the
        pages of a synchronous run do).

        The jobs are one chain of queue_job's dependency graph ``graph_uuid`` (a new graph
        without one, see ``PageChain``): a page job waits for the page before it, the closing
        job for the last page, and ``successors`` (stored jobs, e.g. the next kind's walk)
        wait for the closing job, which carries ``identity_key``. The import order is thus the
        walk's whatever the channels' capacities, and nothing polls.

        FlexNet unreachable (``fc.TransportError``): raised, the caller's job tries the walk
        again (nothing of it is kept). Any other FlexNet error ends the walk: the pages read
        before it are imported all the same, and the closing job closes the run failed (it
        counts as a failed page), as a synchronous run would."""
        run = self._new_run(kind, incremental)
        importer = IMPORTERS[kind](self.backend)
        pages = PageChain(run, graph_uuid)
        try:
            retries = self._retry_keys(kind, incremental)
            counted = self._count(run, importer)
            walked = set()
            for page in importer.pages(self.client, self._since(run)):
                if retries:
                    walked.update(key for record in page for key in importer.keys_of(record))
                pages.add(serialize(page))
            for page in importer.retry_pages(self.client, self._to_retry(run, retries, walked, counted)):
                pages.add(serialize(page), retried=True)
        except fc.TransportError:
            raise
        except fc.FlexNetError as exc:
            run._record_failed_page(
                f"The walk stopped after {pages.count} page(s): {type(exc).__name__}: {exc}"
            )
        self._store_retries(run, importer)  # the keys FlexNet no longer has
        importer.reset()
        pages.close(successors, identity_key=identity_key)
        return run, pages.count

    def import_serialized_page(self, run, data, retried=False):
        self._lock()
        importer = IMPORTERS[run.kind](self.backend)
        records = [importer.record_from_dict(item) for item in data]
        self._import(run, importer, records, retried=retried)

    def store_entitlement(self, entitlement, partner):
        """Store an entitlement read from FlexNet (after a push) like synced lines."""
        by_parent = {}
        for item in entitlement.maintenance_line_items:
            by_parent.setdefault(item.parent_activation_id, []).append(item)
        for line in entitlement.line_items:
            line.entitlement_id = line.entitlement_id or entitlement.entitlement_id
            line.sold_to = line.sold_to or entitlement.sold_to
            line.entitlement_state = line.entitlement_state or entitlement.state
            line.maintenance = by_parent.get(line.activation_id, [])
        lines = list(entitlement.line_items)
        # maintenance sold for a line of an earlier entitlement (a renewal): read that line
        # again, with all its maintenance, so its maintenance end moves here too
        own = {line.activation_id for line in lines}
        for parent in sorted(set(by_parent) - own):
            try:
                lines.extend(self.client.iter_line_items(activation_id=parent))
            except fc.FlexNetError as exc:  # the next synchronisation catches up
                _logger.warning("FlexNet line %s not read again after its renewal: %s", parent, exc)
        importer = LineImporter(self.backend)
        importer.import_page(lines)
        if importer.errors:
            _logger.warning(
                "FlexNet entitlement %s stored partly: %s", entitlement.entitlement_id, importer.errors
            )
        return self.env["flexnet.entitlement"].search(
            [("backend_id", "=", self.backend.id), ("name", "=", entitlement.entitlement_id)], limit=1
        )
