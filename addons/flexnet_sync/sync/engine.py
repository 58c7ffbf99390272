"""Runs importers for a backend and keeps the books: sync runs, counts, watermarks."""

import logging
import queue
import threading
from datetime import timezone

from odoo.tools import SQL

from .. import flexnet_client as fc
from .importer import IMPORTER_CLASSES, LineImporter, serialize
from .mapper import naive_utc

_logger = logging.getLogger(__name__)

IMPORTERS = {cls.kind: cls for cls in IMPORTER_CLASSES}
KINDS = tuple(IMPORTERS)  # dependency order: products, accounts, users, lines
_LOCK_NAMESPACE = 0x464E4F  # "FNO"
# rows a synchronous run stores before the first ANALYZE of its tables (then at each doubling)
ANALYZE_FIRST = 5000


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
        importer_cls = IMPORTERS[kind]
        since = self.backend[importer_cls.watermark_field] if incremental else False
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

    def _account(self, run, importer, pages=0, last_seen=None):
        """Add an importer's counts and errors to the run."""
        values = {
            "page_count": run.page_count + pages,
            "fetched_count": run.fetched_count + importer.stats["fetched"],
            "created_count": run.created_count + importer.stats["created"],
            "updated_count": run.updated_count + importer.stats["updated"],
            "unchanged_count": run.unchanged_count + importer.stats["unchanged"],
            "failed_count": run.failed_count + importer.stats["failed"],
        }
        if importer.errors:
            values["error_log"] = "\n".join(filter(None, [run.error_log, *importer.errors]))[-100000:]
        if last_seen and (not run.watermark_to or last_seen > run.watermark_to):
            values["watermark_to"] = last_seen
        run.write(values)
        importer.stats.clear()
        importer.errors.clear()

    def run(self, kind, incremental=False):
        """Synchronous run of one kind; a FlexNet error ends the run as failed (pages already
        imported stay, the watermark does not move, so a rerun misses nothing)."""
        run = self._new_run(kind, incremental)
        try:
            self._lock()
        except SyncBusy as exc:
            run._close("failed", str(exc))
            return run
        importer = IMPORTERS[kind](self.backend)
        stored, analyze_at = 0, ANALYZE_FIRST
        try:
            for page in prefetched(importer.pages(self.client, self._since(run))):
                last_seen = max(
                    (naive_utc(importer.modified(r)) for r in page if importer.modified(r)), default=None
                )
                importer.import_page(page)
                stored += importer.stats["created"]
                self._account(run, importer, pages=1, last_seen=last_seen)
                # keep memory flat: what a page loaded is not needed by the next one
                self.env.flush_all()
                self.env.invalidate_all(flush=False)
                if stored >= analyze_at:
                    self._analyze(importer)
                    analyze_at = 2 * stored
        except fc.FlexNetError as exc:  # the pages imported before the fault stay
            self._account(run, importer)
            run._close("failed", f"{type(exc).__name__}: {exc}")
            return run
        self.finish(run)
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
        """Close a complete run and move the kind's watermark to the latest change seen."""
        field = IMPORTERS[run.kind].watermark_field
        if run.watermark_to and (not self.backend[field] or run.watermark_to > self.backend[field]):
            self.backend[field] = run.watermark_to
        run._close("done")

    def enqueue_pages(self, kind, incremental=False):
        """Job mode: stream the pages and enqueue one import job per page, then a closing job."""
        run = self._new_run(kind, incremental)
        importer = IMPORTERS[kind](self.backend)
        pages = 0
        for page in importer.pages(self.client, self._since(run)):
            pages += 1
            run.with_delay(
                channel="root.flexnet",
                description=f"FlexNet {kind} page {pages} ({self.backend.name})",
            )._job_import_page(serialize(page))
        run.page_count = pages
        run.with_delay(
            channel="root.flexnet", priority=20, description=f"Close FlexNet {kind} run"
        )._job_finish()
        return run

    def import_serialized_page(self, run, data):
        self._lock()
        importer = IMPORTERS[run.kind](self.backend)
        records = [importer.record_from_dict(item) for item in data]
        last_seen = max(
            (naive_utc(importer.modified(r)) for r in records if importer.modified(r)), default=None
        )
        importer.import_page(records)
        self._account(run, importer, last_seen=last_seen)

    def store_entitlement(self, entitlement, partner):
        """Store an entitlement read from FlexNet (after a push) like synced lines."""
        by_parent = {}
        for item in entitlement.maintenance_line_items:
            by_parent.setdefault(item.parent_activation_id, []).append(item)
        for line in entitlement.line_items:
            line.entitlement_id = line.entitlement_id or entitlement.entitlement_id
            line.sold_to = line.sold_to or entitlement.sold_to
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
