"""Injected faults give the right typed error, and retries happen only where safe."""

import base64
import logging
import socket

import pytest
from flexnet_client import (
    AuthenticationError,
    BasicAuth,
    FlexNetClient,
    FlexNetTimeout,
    MalformedResponse,
    NewAccount,
    NewEntitlement,
    NewLineItem,
    OperationFailed,
    PartialFailure,
    SoapFault,
    TransportError,
)

QUERY = "getAccountsQuery"


def _accounts(client):
    return list(client.iter_accounts())


@pytest.mark.parametrize("fault", ["http500", "http503", "http429"])
def test_transient_http_errors_are_retried_on_queries(client, sim, fault):
    sim.arm(QUERY, fault, count=2)
    assert len(_accounts(client)) == 7
    assert sim.calls(QUERY) == 3  # two failures, then success


def test_retries_give_up_with_a_transport_error(client, sim):
    sim.arm(QUERY, "http503", count=10)
    with pytest.raises(TransportError) as info:
        _accounts(client)
    assert info.value.status_code == 503
    assert "after 4 attempts" in str(info.value)
    assert sim.calls(QUERY) == 4  # 1 + 3 retries


def test_timeout_is_retried_then_reported(sim):
    client = FlexNetClient(sim.url, BasicAuth("admin", "admin"), timeout=0.3, retries=1, backoff=0.01)
    sim.arm(QUERY, "delay", count=2, delay=1.0)
    with pytest.raises(FlexNetTimeout, match=r"no answer within 0\.3 s"):
        _accounts(client)
    sim.arm(QUERY, "delay", count=1, delay=1.0)
    assert len(_accounts(client)) == 7  # one slow answer, then a good one


def test_connection_refused(unused_port):
    client = FlexNetClient(f"http://127.0.0.1:{unused_port}", BasicAuth("a", "b"), retries=1, backoff=0.01)
    with pytest.raises(TransportError, match="cannot connect"):
        _accounts(client)


@pytest.fixture
def unused_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_malformed_xml(client, sim):
    sim.arm(QUERY, "malformed")
    with pytest.raises(MalformedResponse, match="not well-formed"):
        _accounts(client)
    assert sim.calls(QUERY) == 1


def test_soap_fault_is_not_retried(client, sim):
    sim.arm(QUERY, "soap_fault")
    with pytest.raises(SoapFault, match="injected fault") as info:
        _accounts(client)
    assert info.value.fault_code.endswith("Server")
    assert sim.calls(QUERY) == 1


def test_failure_status_is_not_retried(client, sim):
    sim.arm(QUERY, "failure")
    with pytest.raises(OperationFailed, match="injected FAILURE") as info:
        _accounts(client)
    assert not isinstance(info.value, PartialFailure)
    assert sim.calls(QUERY) == 1


def test_partial_failure_on_a_query_keeps_what_came(client, sim):
    sim.arm(QUERY, "partial_failure")
    with pytest.raises(PartialFailure) as info:
        _accounts(client)
    assert 0 < len(info.value.records) < 7


def test_partial_failure_on_a_write_reports_each_record(client, sim):
    sim.arm("createAccount", "partial_failure")
    result = client.create_accounts(
        [NewAccount("P-1", "One"), NewAccount("P-2", "Two"), NewAccount("P-3", "Three")]
    )
    assert result.status == "PARTIAL_FAILURE"
    assert result.created == ["P-1", "P-3"]
    assert [(f.key, f.reason) for f in result.failed] == [("P-2", "injected partial failure")]


def test_http_401(client, sim):
    sim.arm(QUERY, "http401")
    with pytest.raises(AuthenticationError, match="refused the credentials"):
        _accounts(client)
    assert sim.calls(QUERY) == 1


def test_writes_are_not_retried_when_the_server_may_have_acted(client, sim):
    entitlement = NewEntitlement(
        sold_to="ACME-001",
        entitlement_id="SO-RETRY",
        line_items=[NewLineItem("DVS-HA", 1, is_permanent=True)],
    )
    sim.arm("createSimpleEntitlement", "http500")
    with pytest.raises(TransportError):
        client.create_simple_entitlements([entitlement])
    assert sim.calls("createSimpleEntitlement") == 1
    sim.arm("createSimpleEntitlement", "http503")  # 503: not processed, safe to send again
    assert client.create_simple_entitlements([entitlement]).ok
    assert sim.calls("createSimpleEntitlement") == 3


def test_credentials_never_leak(sim, caplog):
    secret = "S3cr3t-pa55"
    caplog.set_level(logging.DEBUG)
    client = FlexNetClient(sim.url, BasicAuth("admin", secret), retries=1, backoff=0.01)
    with pytest.raises(AuthenticationError) as info:
        _accounts(client)
    good = FlexNetClient(
        sim.url.replace("http://", f"http://admin:{secret}@"),
        BasicAuth("admin", "admin"),
        retries=2,
        backoff=0.01,
    )
    sim.arm(QUERY, "http503", count=5)
    with pytest.raises(TransportError) as info2:
        _accounts(good)
    encoded = base64.b64encode(f"admin:{secret}".encode()).decode()
    for text in (
        str(info.value),
        repr(info.value),
        str(info2.value),
        caplog.text,
        repr(client.transport.auth),
    ):
        assert secret not in text
        assert encoded not in text
    assert "refused the credentials" in str(info.value)
