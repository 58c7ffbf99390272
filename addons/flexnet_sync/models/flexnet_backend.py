import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.queue_job.delay import chain
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import WAIT_DEPENDENCIES, Job

from .. import flexnet_client as fc
from ..sync import IMPORTERS, KINDS, SyncEngine
from ..sync.engine import SYNC_CHANNEL

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "flexnet_sync.group_flexnet_manager"
# a person waits for an interactive call (sign-in): seconds, one attempt
INTERACTIVE_TIMEOUT = 10


class FlexnetBackend(models.Model):
    """A FlexNet Operations site that this company synchronises with."""

    _name = "flexnet.backend"
    _description = "FlexNet Operations Backend"
    _order = "sequence, name, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    url = fields.Char(
        "Site URL",
        required=True,
        help="Address of the FlexNet Operations site, e.g. https://fno.example.com "
        "(the services live under /flexnet/services).",
    )
    account_api = fields.Selection(
        [
            ("v3", "Accounts (UserAcctHierarchyService v3)"),
            ("v1", "Organizations (UserOrgHierarchyService v1)"),
        ],
        "Account service",
        required=True,
        default="v3",
        help="Older FlexNet sites know accounts as organizations (v1).",
    )
    auth_style = fields.Selection(
        [("basic", "HTTP Basic"), ("soap_header", "SOAP header"), ("bearer", "Bearer token")],
        "Authentication",
        required=True,
        default="basic",
    )
    username = fields.Char(groups=MANAGER_GROUP, help="API user; may be user##domain.")
    password = fields.Char(groups=MANAGER_GROUP, copy=False)
    token = fields.Char("Access token", groups=MANAGER_GROUP, copy=False)
    page_size = fields.Integer(default=200, required=True, help="Records per page read (at most 2,000).")
    timeout = fields.Integer("Timeout (s)", default=30, required=True)
    retries = fields.Integer(default=3, required=True, help="Retries of a query on transient network errors.")
    expiring_days = fields.Integer(
        "Expiring within (days)",
        default=60,
        required=True,
        help="Maintenance ending within this many days is expiring.",
    )
    account_id_prefix = fields.Char(
        "New account ID prefix", default="ODOO-", required=True, help="FlexNet account IDs created from Odoo."
    )
    entitlement_id_prefix = fields.Char(
        "Entitlement ID prefix",
        compute="_compute_entitlement_id_prefix",
        store=True,
        precompute=True,
        readonly=False,
        required=True,
        copy=False,
        help="Starts the ID of every entitlement pushed from an order (the order's reference follows): "
        "keeps the entitlements of this company, and of another Odoo database pushing to the same "
        "FlexNet site, apart. Only characters FlexNet accepts in IDs.",
    )
    watermark_margin = fields.Integer(
        "Watermark overlap (min)",
        default=5,
        required=True,
        help="Incremental runs ask for what changed since the watermark minus this many minutes: "
        "changes FlexNet stamps late, or made while a run read, are read again (unchanged records "
        "are left as they are).",
    )
    reconcile_full_runs = fields.Boolean(
        "Remove what FlexNet no longer has",
        default=True,
        help="After a complete full run, what Odoo holds and FlexNet no longer returned (looked up "
        "again by key) is marked: entitlement lines and entitlements REMOVED (they stop opening "
        "the shop), members released (their portal users archived), products archived "
        "(maintenance products excepted: FlexNet serves them through its maintenance service, "
        "which the products walk does not read). At most the share set below per run and kind.",
    )
    reconcile_max_share = fields.Integer(
        "Most removed per run (%)",
        default=10,
        required=True,
        help="A full run marks removed at most this share of the records of one kind that Odoo holds "
        "for the backend, or 5 of them whatever the share (0: no limit). Entitlement lines and "
        "entitlements are counted apart, and only what FlexNet no longer has once looked up by key "
        "counts. When more are gone, the run marks none of them and says so on the run: raise the "
        "limit if FlexNet really removed them.",
    )
    watermark_products = fields.Datetime(readonly=True, copy=False)
    watermark_accounts = fields.Datetime(readonly=True, copy=False)
    watermark_users = fields.Datetime(readonly=True, copy=False)
    watermark_lines = fields.Datetime("Watermark entitlement lines", readonly=True, copy=False)
    connection_state = fields.Selection(
        [("untested", "Not tested"), ("ok", "Connected"), ("failed", "Failed")],
        default="untested",
        readonly=True,
        copy=False,
    )
    connection_message = fields.Char(readonly=True, copy=False)
    last_full_sync = fields.Datetime(readonly=True, copy=False)
    last_incremental_sync = fields.Datetime(readonly=True, copy=False)
    sync_run_ids = fields.One2many("flexnet.sync.run", "backend_id")
    sync_run_count = fields.Integer(compute="_compute_sync_run_count")
    retry_count = fields.Integer("Records to retry", compute="_compute_retry_count")

    _check_page_size = models.Constraint(
        "CHECK(page_size BETWEEN 1 AND 2000)", "The page size must be between 1 and 2,000 records."
    )
    _check_timeout = models.Constraint(
        "CHECK(timeout > 0 AND retries >= 0)", "Timeout and retries must be positive."
    )
    _check_reconcile_max_share = models.Constraint(
        "CHECK(reconcile_max_share BETWEEN 0 AND 100)",
        "The share a full run may remove is a percentage between 0 (no limit) and 100.",
    )
    _check_watermark_margin = models.Constraint(
        "CHECK(watermark_margin >= 0)", "The watermark overlap cannot be negative."
    )

    @api.depends("company_id", "url")
    def _compute_entitlement_id_prefix(self):
        """``ODOO-<company id>-``, or ``ODOO-<company id>-<n>-`` when another backend of the same
        site has it (a copy of a backend); a prefix once set is kept."""
        for backend in self:
            if backend.entitlement_id_prefix:
                continue
            taken = set(
                self.sudo()
                .with_context(active_test=False)
                .search([("url", "=", backend.url), ("id", "not in", backend.ids)])
                .mapped("entitlement_id_prefix")
            )
            base = f"ODOO-{backend.company_id.id or 0}-"
            prefix, number = base, 1
            while prefix in taken:
                number += 1
                prefix = f"{base}{number}-"
            backend.entitlement_id_prefix = prefix

    @api.constrains("entitlement_id_prefix", "url", "company_id")
    def _check_entitlement_id_prefix(self):
        for backend in self:
            prefix = backend.entitlement_id_prefix or ""
            if fc.safe_id(prefix) != prefix or len(prefix) > 100:
                raise UserError(
                    self.env._(
                        "The entitlement ID prefix %(prefix)s must be at most 100 characters, none of them "
                        "spaces or %(forbidden)s: FlexNet refuses them in IDs.",
                        prefix=prefix,
                        forbidden=" ".join(fc.ID_FORBIDDEN),
                    )
                )
            twin = (
                self.sudo()
                .with_context(active_test=False)
                .search(
                    [
                        ("id", "!=", backend.id),
                        ("url", "=", backend.url),
                        ("entitlement_id_prefix", "=", prefix),
                    ],
                    limit=1,
                )
            )
            if twin:
                raise UserError(
                    self.env._(
                        "Backend %(other)s already pushes entitlements to this FlexNet site under the prefix "
                        "%(prefix)s: give each backend of one site its own prefix.",
                        other=twin.name,
                        prefix=prefix,
                    )
                )

    def _compute_retry_count(self):
        counts = dict(
            self.env["flexnet.sync.retry"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.retry_count = counts.get(backend, 0)

    @api.depends("sync_run_ids")
    def _compute_sync_run_count(self):
        counts = dict(
            self.env["flexnet.sync.run"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.sync_run_count = counts.get(backend, 0)

    @api.constrains("url")
    def _check_url(self):
        for backend in self:
            if not (backend.url or "").startswith(("http://", "https://")):
                raise UserError(self.env._("The FlexNet site URL must start with http:// or https://"))

    # --- client ----------------------------------------------------------------------

    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only FlexNet administrators may connect to FlexNet or run synchronisations.")
            )

    def _get_client(self, interactive=False):
        """The FlexNet client of this backend (credentials read as superuser, never returned).

        ``interactive``: for a call a person waits for inside a web request (sign-in): one
        attempt and at most ``INTERACTIVE_TIMEOUT`` seconds, so that FlexNet being slow or
        down never holds an Odoo worker through the retries of a background job."""
        self.ensure_one()
        backend = self.sudo()
        if backend.auth_style == "bearer":
            if not backend.token:
                raise UserError(self.env._("Backend %s has no access token.", backend.name))
            auth = fc.BearerAuth(backend.token)
        else:
            if not backend.username or not backend.password:
                raise UserError(self.env._("Backend %s has no user name or password.", backend.name))
            cls = fc.SoapHeaderAuth if backend.auth_style == "soap_header" else fc.BasicAuth
            auth = cls(backend.username, backend.password)
        return fc.FlexNetClient(
            backend.url,
            auth,
            account_api=backend.account_api,
            page_size=backend.page_size,
            timeout=min(backend.timeout, INTERACTIVE_TIMEOUT) if interactive else backend.timeout,
            retries=0 if interactive else backend.retries,
        )

    def action_test_connection(self):
        self.ensure_one()
        self._check_manager()
        try:
            accounts = next(iter(self._get_client().iter_account_pages(page_size=1)), [])
        except fc.FlexNetError as exc:
            self.connection_state = "failed"
            self.connection_message = str(exc)[:500]
            kind, title, message = "danger", self.env._("Connection failed"), str(exc)
        else:
            self.connection_state = "ok"
            self.connection_message = self.env._("Connected; %s account(s) on the first page.", len(accounts))
            kind, title, message = "success", self.env._("Connection works"), self.connection_message
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger"},
        }

    # --- synchronisation ---------------------------------------------------------------

    def sync_all(self, kinds=KINDS):
        """Full synchronous reconciliation of every kind; returns the run records."""
        return self._sync(kinds, incremental=False)

    def sync_incremental(self, kinds=KINDS):
        """Synchronous sync of what changed since each kind's watermark; returns the runs."""
        return self._sync(kinds, incremental=True)

    def _sync(self, kinds, incremental):
        self._check_manager()
        runs = self.env["flexnet.sync.run"]
        for backend in self:
            engine = SyncEngine(backend.sudo())
            for kind in kinds:
                runs |= engine.run(kind, incremental=incremental)
            backend.sudo()[f"last_{'incremental' if incremental else 'full'}_sync"] = fields.Datetime.now()
        return runs

    def action_sync_full(self):
        self.ensure_one()
        self._check_manager()
        self._enqueue_sync(incremental=False)
        return self.action_view_sync_runs()

    def action_sync_incremental(self):
        self.ensure_one()
        self._check_manager()
        self._enqueue_sync(incremental=True)
        return self.action_view_sync_runs()

    def _enqueue_sync(self, incremental):
        """Enqueue a synchronisation of every kind as one graph of queue_job jobs.

        One walk job per kind, chained in dependency order (products, accounts, users,
        lines); each walk enqueues its kind's page jobs and closing job and makes the next
        kind's walk wait for that closing job (``_job_sync_kind``). A kind thus starts once the
        kind before it is imported and closed, whatever the channels' capacities.

        The walks and the closing jobs share one identity key per backend and mode: while a
        synchronisation has a job waiting or queued, starting it again enqueues nothing."""
        mode = "incremental" if incremental else "full"
        for backend in self:
            key = f"flexnet-sync-{backend.id}-{mode}"
            chain(
                *(
                    backend.delayable(
                        channel=SYNC_CHANNEL,
                        identity_key=key,
                        max_retries=0,  # FlexNet away: tried again until it answers
                        description=f"FlexNet {mode} sync of {kind} ({backend.name})",
                    )._job_sync_kind(kind, incremental)
                    for kind in KINDS
                )
            ).delay()

    def _job_sync_kind(self, kind, incremental):
        """Job: read the pages of one kind from FlexNet and enqueue one import job per page,
        then the run's closing job (``SyncEngine.enqueue_pages``).

        Run as a job of a synchronisation's graph (``_enqueue_sync``), the pages and the
        closing job join that graph, and the jobs waiting for this one (the next kind's walk)
        wait for the closing job too. FlexNet unreachable: the job is tried again later, with
        nothing of the walk kept."""
        self.ensure_one()
        if kind not in IMPORTERS:
            raise UserError(self.env._("Unknown FlexNet record kind %s", kind))
        current = self._current_job()
        successors = [
            Job.load(self.env, job.uuid) for job in current.dependent_ids if job.state == WAIT_DEPENDENCIES
        ]
        engine = SyncEngine(self.sudo())
        try:
            run, pages = engine.enqueue_pages(
                kind,
                incremental=incremental,
                graph_uuid=current.graph_uuid,
                successors=successors,
                identity_key=current.identity_key,
            )
        except fc.TransportError as exc:  # tried again as the job function's retry pattern says
            raise RetryableJobError(str(exc)) from exc
        return self.env._("Run %(run)s: %(pages)s page job(s)", run=run.display_name, pages=pages)

    def _current_job(self):
        """The stored queue job running this method, if any."""
        job_uuid = self.env.context.get("job_uuid")
        jobs = self.env["queue.job"].sudo()
        return jobs.search([("uuid", "=", job_uuid)], limit=1) if job_uuid else jobs

    @api.model
    def _cron_sync(self, incremental=True):
        for backend in self.search([("active", "=", True)]):
            backend._enqueue_sync(incremental=incremental)

    def action_view_sync_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("flexnet_sync.flexnet_sync_run_action")
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"default_backend_id": self.id}
        return action

    def action_view_retries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("flexnet_sync.flexnet_sync_retry_action")
        action["domain"] = [("backend_id", "=", self.id)]
        return action

    @api.model
    def _default_backend(self, company=None):
        company = company or self.env.company
        return self.sudo().search([("company_id", "=", company.id)], limit=1)
