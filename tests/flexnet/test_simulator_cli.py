"""The simulator as a program: command line, persistence across restarts, generated data."""

import os
import socket
import subprocess
import sys
import time

import pytest
import requests
from flexnet_client import BasicAuth, FlexNetClient, NewEntitlement, NewLineItem

from flexnet_simulator import Store
from flexnet_simulator.data import generate, load_demo

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(*args, env=None):
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flexnet_simulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--quiet",
            *args,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    banner = process.stdout.readline()
    assert "FlexNet simulator on" in banner, banner
    process.validation = process.stdout.readline()
    return process, f"http://127.0.0.1:{port}"


def _stop(process):
    process.terminate()
    process.wait(timeout=10)


def test_state_survives_a_restart(tmp_path):
    data = str(tmp_path / "sim.sqlite")
    process, url = _start("--data", data, "--demo")
    try:
        client = FlexNetClient(url, BasicAuth("admin", "admin"))
        client.create_simple_entitlements(
            [NewEntitlement("INI-220", "KEEP-1", line_items=[NewLineItem("DVS-HA", 2, is_permanent=True)])]
        )
    finally:
        _stop(process)
    process, url = _start("--data", data, "--demo")  # --demo does not reload a filled file
    try:
        client = FlexNetClient(url, BasicAuth("admin", "admin"))
        kept = client.get_entitlement("KEEP-1")
        assert kept is not None and kept.line_items[0].number_of_copies == 2
        assert len(list(client.iter_accounts())) == 7
    finally:
        _stop(process)


def test_own_credentials(tmp_path):
    process, url = _start("--user", "svc##FLEXnet", "--password", "pw-123", "--demo")
    try:
        assert list(FlexNetClient(url, BasicAuth("svc", "pw-123")).iter_accounts())
    finally:
        _stop(process)


def test_credentials_are_required_without_demo():
    result = subprocess.run(
        [sys.executable, "-m", "flexnet_simulator", "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "--user and --password are required" in result.stderr


def test_generated_data_is_deterministic_and_quick():
    started = time.monotonic()
    first, second = Store(), Store()
    generate(first, 5000)
    generate(second, 5000)
    assert time.monotonic() - started < 30
    counts = first.counts()
    assert counts["line_items"] == 5000
    assert counts["accounts"] == 500 and counts["users"] == 1500
    assert counts == second.counts()
    query = "SELECT activation_id, part_id, number_of_copies, start_date FROM line_items ORDER BY id"
    assert first.db.execute(query).fetchall() == second.db.execute(query).fetchall()


@pytest.mark.parametrize("lines", [1, 4, 7])
def test_generated_small_sizes(lines):
    store = Store()
    generate(store, lines)
    assert store.counts()["line_items"] == lines


def test_the_wsdl_directory_is_taken_from_the_environment_or_the_option(wsdl_dir):
    env = {k: v for k, v in os.environ.items() if k != "FLEXNET_WSDL_DIR"}
    process, url = _start("--demo", env=env)
    try:
        assert "requests are NOT validated" in process.validation
        assert (
            requests.get(f"{url}/flexnet/services/v4/EntitlementOrderService?wsdl", timeout=5).status_code
            == 404
        )
    finally:
        _stop(process)
    process, url = _start("--demo", env={**env, "FLEXNET_WSDL_DIR": str(wsdl_dir)})
    try:
        assert f"requests are validated against the WSDLs in {wsdl_dir}" in process.validation
        assert (
            requests.get(f"{url}/flexnet/services/v4/EntitlementOrderService?wsdl", timeout=5).status_code
            == 200
        )
    finally:
        _stop(process)
    process, url = _start("--demo", "--wsdl-dir", "", env={**env, "FLEXNET_WSDL_DIR": str(wsdl_dir)})
    try:
        assert "requests are NOT validated" in process.validation
    finally:
        _stop(process)


def test_a_wrong_wsdl_directory_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "flexnet_simulator", "--demo", "--wsdl-dir", str(tmp_path / "nope")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (
        result.returncode == 2
        and f"--wsdl-dir: WSDL directory {tmp_path / 'nope'} does not exist" in result.stderr
    )


# the entitlements table as the simulator's first version wrote it: soldTo required, no bulk
# entitlements
VERSION_1_ENTITLEMENTS = """
CREATE TABLE entitlements_v1 (
    id INTEGER PRIMARY KEY, entitlement_id TEXT NOT NULL UNIQUE, unique_id TEXT NOT NULL,
    sold_to TEXT NOT NULL REFERENCES accounts(account_id), description TEXT, state TEXT NOT NULL DEFAULT 'DEPLOYED',
    ship_to_email TEXT, ship_to_address TEXT, email_template_variation TEXT, allow_portal_login INTEGER,
    created_by TEXT, created TEXT NOT NULL, modified TEXT NOT NULL);
"""


def test_a_data_file_of_the_first_version_is_brought_up_to_date(tmp_path):
    path = str(tmp_path / "v1.sqlite")
    store = Store(path)
    load_demo(store)
    db = store.db
    columns = "id, entitlement_id, unique_id, sold_to, description, state, ship_to_email, ship_to_address, "
    columns += "email_template_variation, allow_portal_login, created_by, created, modified"
    db.execute("PRAGMA foreign_keys=OFF")
    db.executescript(
        "DROP VIEW entitlement_items;"
        + VERSION_1_ENTITLEMENTS
        + f"INSERT INTO entitlements_v1 ({columns}) SELECT {columns} FROM entitlements; DROP TABLE entitlements;"
        + "ALTER TABLE entitlements_v1 RENAME TO entitlements; PRAGMA user_version = 0;"
    )
    assert (
        "sold_to TEXT NOT NULL"
        in db.execute("SELECT sql FROM sqlite_master WHERE name = 'entitlements'").fetchone()[0]
    )
    db.close()

    process, url = _start("--data", path, "--user", "admin", "--password", "admin")
    try:  # the program brought the file up to date: entitlements without soldTo are accepted
        client = FlexNetClient(url, BasicAuth("admin", "admin"))
        assert client.create_simple_entitlements([NewEntitlement(None, "NO-CUSTOMER")]).ok
        assert len(list(client.iter_entitlements())) == 9
    finally:
        _stop(process)
    upgraded = Store(path)
    assert upgraded.counts()["entitlements"] == 9 and upgraded.counts()["line_items"] == 13
    kinds = {r[0] for r in upgraded.db.execute("SELECT DISTINCT kind FROM entitlements")}
    assert kinds == {"SIMPLE"}
    assert upgraded.db.execute("SELECT COUNT(*) FROM entitlement_items").fetchone()[0] == 13
    assert upgraded.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_data_file_of_the_second_version_gains_esd_items_and_welcome_mails(tmp_path):
    path = str(tmp_path / "v2.sqlite")
    store = Store(path)
    load_demo(store)
    store.db.execute(
        "INSERT INTO outbox(entitlement_id, recipients, cc, subject, body, sent) "
        "VALUES ('ENT-1', '[]', '[]', 's', 'b', 'now')"
    )
    store.db.executescript(
        "ALTER TABLE products DROP COLUMN esd_item; ALTER TABLE outbox DROP COLUMN kind; "
        "ALTER TABLE outbox DROP COLUMN user_name; PRAGMA user_version = 2;"
    )
    store.db.close()
    upgraded = Store(path)
    db = upgraded.db
    assert {r[1] for r in db.execute("PRAGMA table_info(products)")} >= {"esd_item"}
    assert [tuple(r) for r in db.execute("SELECT entitlement_id, kind, user_name FROM outbox")] == [
        ("ENT-1", "entitlement", None)
    ]
    assert db.execute("PRAGMA user_version").fetchone()[0] == 3
