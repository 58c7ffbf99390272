"""Two Odoo nodes on one database, as two servers behind a load balancer would be.

The world's server (node A) and a second ``odoo server`` (node B) on the same database and
filestore, each in the world's run mode (prefork: HTTP workers, a cron worker and queue_job's
runner; the runners elect one master per database). queue_job's runner dispatches jobs through
a round-robin proxy in front of both nodes, as a runner behind a load balancer does, so jobs
run on either node. The test spreads shop requests, station calls and a synchronisation over
both nodes and checks what one process alone would make true:

- an entitlement revoked or granted in FlexNet and synchronised through one node gates the shop
  on the other node at its next request;
- stations claiming at the same time through both nodes get each job once, and a report made
  through the other node than the claim is taken once;
- a job-mode synchronisation started on one node runs its jobs on both, each job once, and
  imports every FlexNet page once.
"""

import hashlib
import http.server
import itertools
import pathlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from _bench_common import free_port
from e2e_world import Json2, OdooServer, flexnet_sign_in, wait_for

MEMBER = "dev.patel@northwind.example.com"  # a Northwind Engineering end user in FlexNet
DATAVAULT_LINE = "ENT-NW-2002-L1"  # Northwind's DataVault license: what entitles it to DVS-HA
SIM_AUTH = ("admin", "admin")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class RoundRobinProxy(http.server.ThreadingHTTPServer):
    """Sends each request to the next node; a node that does not answer is skipped."""

    daemon_threads = True

    def __init__(self, upstreams):
        self.upstreams = upstreams
        self.turns = itertools.cycle(range(len(upstreams)))
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def port(self):
        return self.server_address[1]

    def order(self):
        with self.lock:
            first = next(self.turns)
        return self.upstreams[first:] + self.upstreams[:first]


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        for upstream in self.server.order():
            try:
                # the runner does not wait for a job's answer: the node runs the job to its end
                response = requests.request(
                    self.command, upstream + self.path, data=body, headers=headers, timeout=300
                )
                break
            except requests.ConnectionError:
                continue
        else:
            self.send_error(502)
            return
        try:
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in HOP_HEADERS:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the runner hung up already

    do_GET = do_POST = _forward

    def log_message(self, *args):
        pass


def _processes(root_pid):
    """``root_pid`` and its child processes (a prefork server's workers)."""
    pids = {root_pid}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == root_pid:
            pids.add(int(stat.parent.name))
    return pids


class ProcessWatch(threading.Thread):
    """Collects, while it runs, the process IDs of each node (workers come and go)."""

    def __init__(self, servers):
        super().__init__(daemon=True)
        self.servers = servers
        self.seen = {name: set() for name in servers}
        self.stopping = threading.Event()

    def sample(self):
        for name, server in self.servers.items():
            if server.process and server.process.poll() is None:
                self.seen[name] |= _processes(server.process.pid)

    def run(self):
        while not self.stopping.wait(0.2):
            self.sample()

    def stop(self):
        self.stopping.set()
        self.join()
        self.sample()


@pytest.fixture
def nodes(world, tmp_path):
    """Node A (the world's server) and node B, both dispatching jobs through the proxy; node A
    is back to its own settings afterwards."""
    node_a = world["server"]
    node_b = OdooServer(free_port(), tmp_path / "node-b.log")
    proxy = RoundRobinProxy([node_a.base, node_b.base])
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    runner = {"ODOO_QUEUE_JOB_HOST": "127.0.0.1", "ODOO_QUEUE_JOB_PORT": str(proxy.port)}
    node_a.stop()
    node_a.environ = node_b.environ = runner
    watch = ProcessWatch({"A": node_a, "B": node_b})
    try:
        node_a.start()
        node_b.start()
        watch.start()
        yield node_a, node_b, watch
    finally:
        if watch.is_alive():
            watch.stop()
        node_b.stop()
        node_a.stop()
        node_a.environ = {}
        proxy.shutdown()
        proxy.server_close()
        node_a.start()
        errors = node_a.errors() + node_b.errors()
        assert not errors, errors[:5]


def _set_line_state(world, state):
    requests.post(
        f"{world['sim']}/admin/update",
        json={"kind": "line_items", "keys": [DATAVAULT_LINE], "values": {"state": state}},
        auth=SIM_AUTH,
        timeout=10,
    ).raise_for_status()


def test_two_nodes_share_one_database(world, nodes):
    node_a, node_b, watch = nodes
    admin_a, admin_b = world["admin"], Json2(node_b.base, world["admin_key"])
    [backend] = admin_a("flexnet.backend", "search", domain=[("name", "!=", False)], limit=1)
    admin_a("flexnet.backend", "sync_incremental", ids=[backend])

    # 1. the shop: one web session (signed in on A) used on both nodes, as behind a proxy
    shopper = flexnet_sign_in(node_a.base, world["sim"], MEMBER)
    [addon] = admin_a(
        "product.template",
        "search_read",
        domain=[("default_code", "=", "DVS-HA")],
        fields=["website_url", "product_variant_id"],
    )
    [northwind] = admin_a("res.partner", "search", domain=[("flexnet_account_id", "=", "NW-0042")])

    def page(node):
        return shopper.get(f"{node.base}{addon['website_url']}", timeout=60).status_code

    def in_cart(node):
        shopper.post(
            f"{node.base}/shop/cart/add",
            json={
                "jsonrpc": "2.0",
                "params": {
                    "product_template_id": addon["id"],
                    "product_id": addon["product_variant_id"][0],
                    "quantity": 1,
                },
            },
            timeout=60,
        ).raise_for_status()
        return sum(
            line["product_uom_qty"]
            for line in admin_a(
                "sale.order.line",
                "search_read",
                domain=[
                    ("order_id.partner_id.commercial_partner_id", "=", northwind),
                    ("order_id.website_id", "!=", False),
                    ("order_id.state", "=", "draft"),
                    ("product_template_id", "=", addon["id"]),
                ],
                fields=["product_uom_qty"],
            )
        )

    try:
        assert page(node_b) == 200
        before = in_cart(node_b)
        assert before >= 1
        # revoked in FlexNet, synchronised through A: B refuses it at the next request
        _set_line_state(world, "OBSOLETE")
        admin_a("flexnet.backend", "sync_incremental", ids=[backend], kinds=["lines"])
        assert page(node_b) == 404
        assert in_cart(node_b) == before
        # granted again, synchronised through B: A sells it at the next request
        _set_line_state(world, "DEPLOYED")
        admin_b("flexnet.backend", "sync_incremental", ids=[backend], kinds=["lines"])
        assert page(node_a) == 200
        assert in_cart(node_a) == before + 1
    finally:
        _set_line_state(world, "DEPLOYED")
        admin_b("flexnet.backend", "sync_incremental", ids=[backend], kinds=["lines"])

    # 2. stations: media kits sold through B, claimed at the same time through both nodes
    sales_b = Json2(node_b.base, world["sales_key"])
    [kit] = admin_a("product.product", "search", domain=[("default_code", "=", "CADS-MEDIA-DVD")])
    orders = sales_b(
        "sale.order",
        "create",
        vals_list=[{"partner_id": northwind, "order_line": [(0, 0, {"product_id": kit})]} for _ in range(6)],
    )
    sales_b("sale.order", "action_confirm", ids=orders)
    ours = set(admin_a("media.production.job", "search", domain=[("order_id", "in", orders)]))
    assert len(ours) == len(orders)
    stations = [Json2(node.base, world["station_key"]) for node in (node_a, node_b) * 4]

    def claim(station):
        packages = []
        while batch := station("media.production.job", "station_claim", station=f"two-node-{id(station)}"):
            packages += batch
        return packages

    with ThreadPoolExecutor(len(stations)) as pool:
        claimed = [package for packages in pool.map(claim, stations) for package in packages]
    ids = [package["id"] for package in claimed]
    assert len(ids) == len(set(ids)), "a job was claimed twice"
    assert ours <= set(ids)
    for n, package in enumerate(claimed):  # reported through one node, then again through the other
        station = stations[n % 2]
        report = {
            "job_id": package["id"],
            "copies": package["copies"],
            "lease": package["lease"],
            "checksums_verified": True,
            "discs": [
                {"serial": f"2N-{package['id']}-{c}", "verified": True} for c in range(package["copies"])
            ],
            "image_md5": hashlib.md5(str(package["id"]).encode()).hexdigest(),
        }
        assert station("media.production.job", "station_report_success", **report) == "done"
        assert stations[n % 2 + 1]("media.production.job", "station_report_success", **report) == "done"
    jobs = admin_a("media.production.job", "read", ids=ids, fields=["state", "copies", "disc_ids"])
    assert all(job["state"] == "done" and len(job["disc_ids"]) == job["copies"] for job in jobs), jobs

    # 3. a job-mode full synchronisation started on B, its jobs run by both nodes
    [last] = admin_a("queue.job", "search", domain=[], order="id desc", limit=1) or [0]
    admin_b("flexnet.backend", "action_sync_full", ids=[backend])
    graph = {"id", "state", "worker_pid", "method_name", "identity_key", "graph_uuid", "func_string"}

    def sync_jobs():
        return admin_a(
            "queue.job",
            "search_read",
            domain=[("id", ">", last), ("model_name", "in", ["flexnet.backend", "flexnet.sync.run"])],
            fields=sorted(graph),
        )

    def settled():
        jobs = sync_jobs()
        closing = [job for job in jobs if job["method_name"] == "_job_finish"]
        return jobs if len(closing) == 4 and all(job["state"] == "done" for job in jobs) else None

    jobs = wait_for("the synchronisation's jobs", settled, timeout=300)
    watch.stop()
    assert len({job["graph_uuid"] for job in jobs}) == 1, "one graph"
    pages = [job for job in jobs if job["method_name"] == "_job_import_page"]
    assert len({job["func_string"] for job in pages}) == len(pages), "a page job was enqueued twice"
    ran_on = {name for job in jobs for name, pids in watch.seen.items() if job["worker_pid"] in pids}
    assert ran_on == {"A", "B"}, (ran_on, {job["worker_pid"] for job in jobs}, watch.seen)
    fields = ["kind", "state", "page_count", "fetched_count", "created_count", "failed_count"]
    runs = admin_a(
        "flexnet.sync.run",
        "search_read",
        domain=[("backend_id", "=", backend), ("mode", "=", "full")],
        fields=fields,
        order="id desc",
        limit=4,
    )
    # every page imported once: the same pages and records as a synchronous run of the same data
    synchronous = admin_a(
        "flexnet.sync.run", "read", ids=admin_a("flexnet.backend", "sync_all", ids=[backend]), fields=fields
    )
    by_kind = {run["kind"]: run for run in synchronous}
    assert len(by_kind) == 4 and {run["kind"] for run in runs} == set(by_kind), (runs, synchronous)
    for run in runs:
        expected = by_kind[run["kind"]]
        assert run["state"] == expected["state"] == "done", (run, expected)
        assert (run["page_count"], run["fetched_count"]) == (
            expected["page_count"],
            expected["fetched_count"],
        )
        assert run["failed_count"] == run["created_count"] == expected["created_count"] == 0, (run, expected)
    assert len(pages) == sum(run["page_count"] for run in runs), (len(pages), runs)
