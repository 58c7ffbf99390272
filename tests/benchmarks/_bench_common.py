"""Shared by the Odoo benchmarks: database arguments, a real Odoo HTTP server, a signed-in session."""

import configparser
import contextlib
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time

import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]


def db_args():
    """Odoo command-line options for the database make bench prepared."""
    args = [
        "--db_host",
        os.environ.get("DB_HOST", "127.0.0.1"),
        "--db_port",
        os.environ.get("DB_PORT", "5432"),
        "--db_user",
        os.environ.get("DB_USER", "odoo"),
    ]
    if os.environ.get("DB_PASSWORD"):
        args += ["--db_password", os.environ["DB_PASSWORD"]]
    return args


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def odoo_server_command(db, addons_path, port, *extra):
    """``odoo server`` on one database, one process without cron, on 127.0.0.1:``port``."""
    return [
        sys.executable,
        "-m",
        "odoo",
        "server",
        "-d",
        db,
        "--db-filter",
        f"^{db}$",
        "--addons-path",
        str(addons_path),
        *db_args(),
        "--http-interface",
        "127.0.0.1",
        "--http-port",
        str(port),
        "--workers",
        "0",
        "--max-cron-threads",
        "0",
        *extra,
    ]


def odoo_answers(base):
    """Whether the Odoo server at ``base`` serves its login page."""
    try:
        return requests.get(f"{base}/web/login", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def wait_for_odoo(base, timeout=120):
    deadline = time.monotonic() + timeout
    while not odoo_answers(base):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Odoo did not answer at {base} within {timeout} s")
        time.sleep(0.5)


@contextlib.contextmanager
def odoo_server(db, addons_path):
    """A real Odoo HTTP server on the benchmark database (one process, no cron); yields
    (base URL, process) once it answers; stopped on the way out."""
    port = free_port()
    server = subprocess.Popen(
        odoo_server_command(db, addons_path, port, "--log-level", "warn"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_odoo(base)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def web_login(base, login, password):
    """A requests session signed in through /web/login."""
    session = requests.Session()
    page = session.get(f"{base}/web/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    session.post(
        f"{base}/web/login", data={"login": login, "password": password, "csrf_token": token}, timeout=30
    )
    return session


def report(measure, goal, value, ok):
    """Print one measured row; with ``BENCH_RESULTS`` set (``make bench``), also append it
    there as a JSON line for the summary table."""
    print(f"{measure:44s} {goal:10s} {value:>36s}  {'PASS' if ok else 'FAIL'}")
    path = os.environ.get("BENCH_RESULTS")
    if path:
        row = {
            "script": os.path.basename(sys.argv[0]),
            "measure": measure,
            "goal": goal,
            "value": value,
            "ok": bool(ok),
        }
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")
    return ok


# --- prefork Odoo, as in production (the e2e world and the load benchmarks) -----------------


def run_mode_args(workers=None):
    """Options of the served Odoo for ``ODOO_RUN_MODE`` (scripts/lib.sh): ``prefork`` (the
    default, as in production: ``workers`` HTTP workers, default ``ODOO_WORKERS``, a cron worker
    and queue_job's job runner as a worker process) or ``threaded`` (one process, for
    debugging)."""
    mode = os.environ.get("ODOO_RUN_MODE", "prefork")
    if mode == "prefork":
        workers = str(workers or os.environ.get("ODOO_WORKERS", "3"))
        return ["--workers", workers, "--max-cron-threads", "1", "--gevent-port", str(free_port())]
    if mode == "threaded":
        return ["--workers", "0", "--max-cron-threads", "1"]
    raise ValueError(f"ODOO_RUN_MODE is prefork or threaded, not {mode!r}")


def odoo_program():
    """The command that serves Odoo: its own script when there is one (a prefork server starts
    its websocket process by running its program again, which ``python -m odoo`` cannot be),
    else ``python -m odoo``."""
    import odoo  # noqa: PLC0415  (only the servers need it; the pure benchmarks do not)

    candidates = [
        pathlib.Path(sys.executable).parent / "odoo",
        *(pathlib.Path(root).resolve().parent / "odoo-bin" for root in odoo.__path__),
    ]
    script = next((path for path in candidates if path.is_file()), None)
    return [sys.executable, str(script)] if script else [sys.executable, "-m", "odoo"]


def queue_job_channels():
    """queue_job's channels: ``ODOO_QUEUE_JOB_CHANNELS``, else those of config/odoo.conf."""
    if os.environ.get("ODOO_QUEUE_JOB_CHANNELS"):
        return os.environ["ODOO_QUEUE_JOB_CHANNELS"]
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "config" / "odoo.conf")
    return parser["queue_job"]["channels"]


class PreforkServer:
    """``odoo server`` on ``db``, with queue_job's runner and a cron worker, on a fixed port, in
    the run mode of ``run_mode_args`` (``workers`` HTTP workers). Several of them on one
    database are the nodes of one deployment: queue_job's runners elect one master."""

    def __init__(self, db, port, log, workers=None, quiet=False):
        self.db = db
        self.quiet = quiet  # what the processes print besides the log file is dropped
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        self.workers = workers
        self.process = None
        # queue_job's channels from the next start on (None: those of queue_job_channels)
        self.channels = None
        # more environment of the server from the next start on (e.g. queue_job's runner options)
        self.environ = {}

    def start(self, wait=True):
        command = odoo_server_command(
            self.db,
            ROOT / "addons",
            self.port,
            "--load",
            "base,web,queue_job",
            "--logfile",
            str(self.log),
            *run_mode_args(self.workers),
        )
        assert command[:3] == [sys.executable, "-m", "odoo"], command
        self.process = subprocess.Popen(
            [*odoo_program(), *command[3:]],
            env={
                **os.environ,
                "ODOO_QUEUE_JOB_CHANNELS": self.channels or queue_job_channels(),
                **self.environ,
            },
            stdout=subprocess.DEVNULL if self.quiet else None,
            stderr=subprocess.DEVNULL if self.quiet else None,
        )
        if wait:
            wait_for_odoo(self.base)

    def stop(self, kill=False):
        """Stop the server: gracefully (its workers finish what they run), else ``kill``ed, as a
        process supervisor does when the grace period ends (a prefork server's cron worker may
        be running every due scheduled action)."""
        if self.process and self.process.poll() is None:
            (self.process.kill if kill else self.process.terminate)()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # workers busy past the graceful stop
                self.process.kill()
                self.process.wait(timeout=30)

    def errors(self):
        log = pathlib.Path(self.log)
        text = log.read_text(errors="replace") if log.exists() else ""
        return [line for line in text.splitlines() if " ERROR " in line or " CRITICAL " in line]


# --- a throw-away copy of the benchmark database -------------------------------------------


def _postgres():
    import psycopg2  # noqa: PLC0415

    connection = psycopg2.connect(
        host=os.environ.get("DB_HOST", "127.0.0.1"),
        port=os.environ.get("DB_PORT", "5432"),
        user=os.environ.get("DB_USER", "odoo"),
        password=os.environ.get("DB_PASSWORD") or None,
        dbname="postgres",
    )
    connection.autocommit = True
    return connection


def filestore_of(db):
    """Odoo's filestore folder of ``db`` (the default data_dir, as the servers here use it)."""
    from odoo.tools import config  # noqa: PLC0415

    return pathlib.Path(config.filestore(db))


class BenchSetupError(Exception):
    """The benchmark cannot prepare what it measures (said plainly, no traceback)."""


@contextlib.contextmanager
def database_copy(source, name, tries=10):
    """A copy of ``source`` named ``name`` (``CREATE DATABASE ... TEMPLATE``), with its
    filestore hard-linked (Odoo never changes a stored file, it writes new ones), dropped with
    its filestore on the way out: what a benchmark commits never piles up in ``source``. The
    source must have no other connection (PostgreSQL's rule for templates): tried ``tries``
    times, a second apart."""
    import psycopg2  # noqa: PLC0415

    connection = _postgres()
    try:
        with connection.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for attempt in range(tries):
                try:
                    cr.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
                    break
                except psycopg2.errors.ObjectInUse as exc:
                    if attempt == tries - 1:
                        raise BenchSetupError(
                            f"cannot copy {source}: another session uses it ({exc.pgerror.strip()})"
                        ) from None
                    time.sleep(1)
        store = filestore_of(name)
        shutil.rmtree(store, ignore_errors=True)
        if filestore_of(source).is_dir():
            shutil.copytree(filestore_of(source), store, copy_function=os.link)
        yield name
    finally:
        with connection.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()
        shutil.rmtree(filestore_of(name), ignore_errors=True)
