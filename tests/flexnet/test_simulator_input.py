"""Bad input to the simulator gets a SOAP fault or an HTTP 4xx, never a crash."""

import base64

import pytest
import requests

from flexnet_simulator.server import MAX_BODY

V3 = "/flexnet/services/v3/UserAcctHierarchyService"
V4 = "/flexnet/services/v4/EntitlementOrderService"
AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode(), "Content-Type": "text/xml"}


def envelope(body):
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
        f"{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def post(sim, path, data, headers=AUTH):
    return requests.post(sim.url + path, data=data, headers=headers, timeout=10)


@pytest.mark.parametrize(
    "data",
    [b"garbage", b"<not-closed", b"<a/>", envelope(""), b"\xff\xfe\x00bin"],
    ids=["garbage", "unclosed", "not-an-envelope", "empty-body", "binary"],
)
def test_garbage_gets_a_client_fault(sim, data):
    response = post(sim, V3, data)
    assert response.status_code == 500
    assert b"Fault" in response.content and b"Client" in response.content


def test_wrong_namespace_gets_a_fault(sim):
    body = (
        '<getAccountsQueryRequest xmlns="urn:v9.example"><pageNumber>1</pageNumber></getAccountsQueryRequest>'
    )
    response = post(sim, V3, envelope(body))
    assert response.status_code == 500 and b"no operation" in response.content


def test_operation_of_another_service_gets_a_fault(sim):
    body = (
        '<getAccountsQueryRequest xmlns="urn:v3.webservices.operations.flexnet.com">'
        "<pageNumber>1</pageNumber><batchSize>5</batchSize></getAccountsQueryRequest>"
    )
    response = post(sim, V4, envelope(body))
    assert response.status_code == 500 and b"Client" in response.content


def test_entity_expansion_is_refused(sim):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + envelope("<x>&b;</x>")
    )
    response = post(sim, V3, bomb)
    assert response.status_code == 500


def test_huge_body_is_refused(sim):
    response = post(sim, V3, b"x" * (MAX_BODY + 1))
    assert response.status_code == 413


def test_bad_values_get_a_fault(sim):
    body = (
        '<getAccountsQueryRequest xmlns="urn:v3.webservices.operations.flexnet.com">'
        "<pageNumber>one</pageNumber><batchSize>5</batchSize></getAccountsQueryRequest>"
    )
    response = post(sim, V3, envelope(body))
    assert response.status_code == 500 and b"not an integer" in response.content


def test_read_cap_is_a_failure_status(sim):
    body = (
        '<getAccountsQueryRequest xmlns="urn:v3.webservices.operations.flexnet.com">'
        "<pageNumber>1</pageNumber><batchSize>2001</batchSize></getAccountsQueryRequest>"
    )
    response = post(sim, V3, envelope(body))
    assert response.status_code == 200
    assert b"FAILURE" in response.content and b"2000" in response.content


def test_write_cap_is_a_failure_status(sim):
    accounts = "".join(f"<account><id>C{i}</id><name>C{i}</name></account>" for i in range(26))
    body = (
        f'<createAcctRequest xmlns="urn:v3.webservices.operations.flexnet.com">{accounts}</createAcctRequest>'
    )
    response = post(sim, V3, envelope(body))
    assert response.status_code == 200 and b"FAILURE" in response.content and b"25" in response.content
    assert sim.stats()["counts"]["accounts"] == 7  # nothing was written


def test_authentication_is_required(sim):
    body = (
        '<getAccountsQueryRequest xmlns="urn:v3.webservices.operations.flexnet.com">'
        "<pageNumber>1</pageNumber><batchSize>5</batchSize></getAccountsQueryRequest>"
    )
    assert post(sim, V3, envelope(body), headers={"Content-Type": "text/xml"}).status_code == 401
    wrong = {"Authorization": "Basic " + base64.b64encode(b"admin:nope").decode()}
    assert post(sim, V3, envelope(body), headers=wrong).status_code == 401
    assert post(sim, V3, envelope(body), headers={"Authorization": "Bearer nope"}).status_code == 401
    assert post(sim, V3, envelope(body), headers={"Authorization": "Basic !!!"}).status_code == 401
    assert requests.get(sim.url + "/admin/stats", timeout=5).status_code == 401


def test_unknown_paths_and_methods(sim):
    assert post(sim, "/flexnet/services/v9/Nothing", envelope("")).status_code == 404
    assert requests.get(sim.url + V3 + "?wsdl", timeout=5).status_code == 404
    assert (
        sim.admin.post(sim.url + "/admin/faults", json={"operation": "nope", "fault": "http500"}).status_code
        == 400
    )
    assert (
        sim.admin.post(
            sim.url + "/admin/faults", json={"operation": "getUsersQuery", "fault": "x"}
        ).status_code
        == 400
    )
    assert sim.admin.post(sim.url + "/admin/faults", data=b"[1,", timeout=5).status_code == 400


def test_server_survives_all_of_the_above(sim, client):
    post(sim, V3, b"garbage")
    post(sim, V3, b"x" * 100)
    assert len(list(client.iter_accounts())) == 7
