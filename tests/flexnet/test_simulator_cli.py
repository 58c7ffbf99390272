"""The simulator as a program: command line, persistence across restarts, generated data."""

import os
import socket
import subprocess
import sys
import time

import pytest
from flexnet_client import BasicAuth, FlexNetClient, NewEntitlement, NewLineItem

from flexnet_simulator import Store
from flexnet_simulator.data import generate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(*args):
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
    )
    banner = process.stdout.readline()
    assert "FlexNet simulator on" in banner, banner
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
