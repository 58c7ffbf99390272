"""Shared by the Odoo benchmarks: database arguments, a real Odoo HTTP server, a signed-in session."""

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time

import requests


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
