"""Fixtures for the FlexNet client and simulator tests: a live simulator on a random
loopback port, a client wired to it that records every message, and the real schemas."""

import importlib.util
import os
import pathlib

import pytest
import requests
from flexnet_client import BasicAuth, FlexNetClient

from flexnet_simulator import Simulator, Store, serve
from flexnet_simulator.data import load_demo


def _xsd_check_module():
    wsdl_dir = os.environ.get("FLEXNET_WSDL_DIR")
    if not wsdl_dir or not pathlib.Path(wsdl_dir, "EntitlementOrderService.v4.wsdl").is_file():
        pytest.fail(
            "FLEXNET_WSDL_DIR must point at the FlexNet WSDL folder (../shared/flexnet-wsdl); "
            f"it is {wsdl_dir!r}. The schema checks cannot be skipped."
        )
    tool = pathlib.Path(wsdl_dir).resolve().parent / "tools" / "flexnet_xsd_check.py"
    if not tool.is_file():
        pytest.fail(f"schema checker not found at {tool}")
    spec = importlib.util.spec_from_file_location("flexnet_xsd_check", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def xsd():
    """The shared schema checker: ``xsd.validate(message) -> [errors]``."""
    return _xsd_check_module()


@pytest.fixture(scope="session")
def wsdl_dir(xsd):
    return pathlib.Path(os.environ["FLEXNET_WSDL_DIR"])


class LiveSimulator:
    """A simulator serving on 127.0.0.1 with helpers for its admin API; ``wsdl_dir=""`` runs it
    without the WSDLs (no request validation, no ``?wsdl``)."""

    def __init__(self, store, user="admin", password="admin", api_tokens=("test-api-token",), wsdl_dir=""):
        self.simulator = Simulator(store, user, password, api_tokens, wsdl_dir=str(wsdl_dir))
        self.server = serve(self.simulator, "127.0.0.1", 0)
        host, port = self.server.server_address
        self.url = f"http://{host}:{port}"
        self.admin = requests.Session()
        self.admin.auth = (user, password)

    def arm(self, operation, fault, count=1, delay=0, skip=0):
        response = self.admin.post(
            f"{self.url}/admin/faults",
            json={"operation": operation, "fault": fault, "count": count, "delay": delay, "skip": skip},
            timeout=5,
        )
        response.raise_for_status()

    def stats(self):
        return self.admin.get(f"{self.url}/admin/stats", timeout=5).json()

    def calls(self, operation):
        return self.stats()["calls"].get(operation, 0)

    def outbox(self, **params):
        return self.admin.get(f"{self.url}/admin/outbox", params=params, timeout=5).json()

    def touch(self, kind, count):
        response = self.admin.post(f"{self.url}/admin/touch", json={"kind": kind, "count": count}, timeout=5)
        response.raise_for_status()
        return response.json()["keys"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sim(wsdl_dir):
    """The demo site, validating every request against the real WSDLs."""
    store = Store(":memory:")
    load_demo(store)
    live = LiveSimulator(store, wsdl_dir=wsdl_dir)
    yield live
    live.close()


@pytest.fixture
def bare_sim():
    """The demo site started without a WSDL directory."""
    store = Store(":memory:")
    load_demo(store)
    live = LiveSimulator(store, wsdl_dir="")
    yield live
    live.close()


class Recorder:
    """Keeps every request and response body a client exchanged."""

    def __init__(self):
        self.messages = []

    def hook(self, response, *args, **kwargs):
        self.messages.append(("request", response.request.body))
        self.messages.append(("response", response.content))

    def assert_valid(self, xsd):
        assert self.messages, "no message was exchanged"
        for kind, body in self.messages:
            errors = xsd.validate(body)
            assert errors == [], f"{kind} does not validate: {errors}\n{body[:2000]!r}"


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def client(sim, recorder):
    """A client on the simulator (HTTP Basic) with quick retries, recording messages."""
    session = requests.Session()
    session.hooks["response"].append(recorder.hook)
    return FlexNetClient(sim.url, BasicAuth("admin", "admin"), session=session, backoff=0.01, timeout=5)
