"""Bad input to the simulator gets a SOAP fault or an HTTP 4xx, never a crash; what Axis 1.4
cannot read into the service's types gets Axis' fault."""

import base64

import pytest
import requests
from lxml import etree

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


def soap_fault(response):
    """(faultcode, faultstring) of a SOAP fault answer."""
    assert response.status_code == 500, response.content[:500]
    root = etree.fromstring(response.content)
    fault = root.find(
        "{http://schemas.xmlsoap.org/soap/envelope/}Body/{http://schemas.xmlsoap.org/soap/envelope/}Fault"
    )
    assert fault is not None, response.content[:500]
    return fault.findtext("faultcode"), fault.findtext("faultstring")


@pytest.mark.parametrize(
    "data, exception",
    [
        (b"garbage", "SAXParseException"),
        (b"<not-closed", "SAXParseException"),
        (b"<a/>", "SAXException"),
        (envelope(""), "SAXException"),
        (b"\xff\xfe\x00bin", "SAXParseException"),
    ],
    ids=["garbage", "unclosed", "not-an-envelope", "empty-body", "binary"],
)
def test_garbage_gets_the_axis_fault(sim, data, exception):
    code, message = soap_fault(post(sim, V3, data))
    assert code == "soapenv:Server.userException"
    assert message.startswith(f"org.xml.sax.{exception}: ")


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


def test_bad_values_get_a_fault(sim, bare_sim):
    body = (
        '<getAccountsQueryRequest xmlns="urn:v3.webservices.operations.flexnet.com">'
        "<pageNumber>one</pageNumber><batchSize>5</batchSize></getAccountsQueryRequest>"
    )
    code, message = soap_fault(post(sim, V3, envelope(body)))
    assert code == "soapenv:Server.userException"
    assert "'one' is not a valid value of the atomic type 'xs:integer'" in message
    # without the schema, the simulator's own reading fails the way Axis' does
    code, message = soap_fault(post(bare_sim, V3, envelope(body)))
    assert code == "soapenv:Server.userException"
    assert message.startswith('java.lang.NumberFormatException: For input string: "one"')


def test_an_unknown_element_gets_the_axis_fault(sim):
    body = (
        '<getAccountsQueryRequest xmlns="urn:v3.webservices.operations.flexnet.com"><queryParams>'
        "<accountID><value>ACME-001</value><searchType>EQUALS</searchType></accountID><colour>red</colour>"
        "</queryParams><pageNumber>1</pageNumber><batchSize>5</batchSize></getAccountsQueryRequest>"
    )
    code, message = soap_fault(post(sim, V3, envelope(body)))
    assert code == "soapenv:Server.userException"
    assert message.startswith(
        "org.xml.sax.SAXException: Invalid element in "
        "com.flexnet.operations.webservices.v3.AccountQueryParametersType - colour"
    )
    assert sim.calls("getAccountsQuery") == 1  # counted, refused before any work


def test_without_the_wsdls_an_unknown_criterion_is_still_refused(bare_sim):
    body = (
        '<getAccountsQueryRequest xmlns="urn:v3.webservices.operations.flexnet.com"><queryParams>'
        "<colour>red</colour></queryParams><pageNumber>1</pageNumber><batchSize>5</batchSize>"
        "</getAccountsQueryRequest>"
    )
    code, message = soap_fault(post(bare_sim, V3, envelope(body)))
    assert (code, message) == ("soapenv:Client", "getAccountsQuery has no query criterion colour")


def test_a_criterion_the_simulator_does_not_model_is_refused_clearly(sim):
    body = (
        '<getProductsQueryRequest xmlns="urn:v2.webservices.operations.flexnet.com"><queryParams>'
        "<licenseTechnology><value>FlexNet Publisher</value><searchType>EQUALS</searchType></licenseTechnology>"
        "</queryParams><pageNumber>1</pageNumber><batchSize>5</batchSize>"
        "<returnContainedObjects>false</returnContainedObjects></getProductsQueryRequest>"
    )
    code, message = soap_fault(post(sim, "/flexnet/services/v2/ProductPackagingService", envelope(body)))
    assert code == "soapenv:Server"
    assert message == (
        "getProductsQuery: the simulator does not implement the criterion licenseTechnology "
        "(the simulated products have no license technology)"
    )


def test_an_operation_the_simulator_does_not_implement_is_named(sim):
    body = (
        '<deleteEntitlementRequest xmlns="urn:v4.webservices.operations.flexnet.com">'
        "<entitlement><entitlementIdentifier><primaryKeys><entitlementId>ENT-ACME-1001</entitlementId>"
        "</primaryKeys></entitlementIdentifier></entitlement></deleteEntitlementRequest>"
    )
    code, message = soap_fault(post(sim, V4, envelope(body)))
    assert code == "soapenv:Server"
    assert message == (
        "deleteEntitlement is an operation of /flexnet/services/v4/EntitlementOrderService "
        "that the simulator does not implement"
    )


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


def test_wsdl_is_served_only_with_a_wsdl_directory(sim, bare_sim):
    response = requests.get(bare_sim.url + V3 + "?wsdl", timeout=5)
    assert response.status_code == 404
    assert "started without a WSDL directory" in response.text
    assert requests.get(sim.url + "/flexnet/services/v9/Nothing?wsdl", timeout=5).status_code == 404
    response = requests.get(sim.url + V3 + "?wsdl", timeout=5)  # no credentials needed
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    [address] = root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address.get("location") == sim.url + V3


def test_unknown_paths_and_methods(sim):
    assert post(sim, "/flexnet/services/v9/Nothing", envelope("")).status_code == 404
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
