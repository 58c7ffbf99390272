"""The client's calls for deploying, counting, adding line items, linking maintenance and
setting entitlement states; every message on the wire validates against the real schemas."""

from datetime import date, timedelta

import pytest
import requests
from flexnet_client import (
    ACCOUNT_API_V1,
    BasicAuth,
    EntitlementState,
    FlexNetClient,
    LineItemAddition,
    MaintenanceLink,
    NewEntitlement,
    NewLineItem,
    NewMaintenanceLineItem,
    OperationFailed,
)
from flexnet_client.base import NS_ENTITLEMENTS
from flexnet_client.xmlutil import Builder
from lxml import etree

from flexnet_simulator.data import DEMO_ACCOUNTS, DEMO_CATALOG, DEMO_ENTITLEMENTS, DEMO_USERS

V4 = "{urn:v4.webservices.operations.flexnet.com}"


def _requests(recorder, operation_element):
    """The request bodies of one operation the recorder saw."""
    found = []
    for kind, body in recorder.messages:
        if kind == "request" and body:
            payload = etree.fromstring(body).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]
            if etree.QName(payload).localname == operation_element:
                found.append(payload)
    return found


def _seat(entitlement_id, *, auto_deploy=True, sold_to="GLX-017"):
    return NewEntitlement(
        sold_to=sold_to,
        entitlement_id=entitlement_id,
        line_items=[NewLineItem("SIMF-SEAT", 2, activation_id=f"{entitlement_id}-1", is_permanent=True)],
        auto_deploy=auto_deploy,
    )


def test_new_entitlements_are_deployed_unless_asked_otherwise(client, recorder, xsd):
    assert client.create_simple_entitlements([_seat("DEP-1"), _seat("DRAFT-1", auto_deploy=False)]).ok
    sent = [el.findtext(f"{V4}autoDeploy") for el in _requests(recorder, "createSimpleEntitlementRequest")[0]]
    assert sent[:2] == ["true", "false"]  # then the opType
    deployed, draft = client.get_entitlement("DEP-1"), client.get_entitlement("DRAFT-1")
    assert (deployed.state, [li.state for li in deployed.line_items]) == ("DEPLOYED", ["DEPLOYED"])
    assert (draft.state, [li.state for li in draft.line_items]) == ("DRAFT", ["DRAFT"])

    result = client.set_entitlement_state("DRAFT-1", "DEPLOYED")
    assert result.ok and result.created == [EntitlementState("DRAFT-1", "DEPLOYED")]
    [line] = client.iter_line_items(entitlement_id="DRAFT-1")
    assert (line.state, line.entitlement_state) == ("DEPLOYED", "DEPLOYED")
    recorder.assert_valid(xsd)


def test_entitlement_states_refused_per_record(client, recorder, xsd):
    client.create_simple_entitlements([_seat("OBS-1")])
    assert client.set_entitlement_states([EntitlementState("OBS-1", "OBSOLETE")]).ok
    result = client.set_entitlement_states(
        [EntitlementState("OBS-1", "DEPLOYED"), EntitlementState("ENT-UMB-5001", "INACTIVE")]
    )
    assert result.status == "PARTIAL_FAILURE"
    assert result.created == [EntitlementState("ENT-UMB-5001", "INACTIVE")]
    [failed] = result.failed
    assert failed.key == "OBS-1" and "obsolete" in failed.reason
    assert client.get_entitlement("ENT-UMB-5001").state == "INACTIVE"
    with pytest.raises(OperationFailed) as info:
        client.set_entitlement_state("NO-SUCH", "DEPLOYED")
    assert info.value.failed[0].key == "NO-SUCH"
    with pytest.raises(ValueError, match="DRAFT, DEPLOYED, INACTIVE, OBSOLETE"):
        client.set_entitlement_state("OBS-1", "TEST")
    recorder.assert_valid(xsd)


def test_an_entitlement_without_an_end_customer(client, recorder, xsd):
    assert client.create_simple_entitlements([_seat("NOBODY-1", sold_to=None)]).ok
    [request] = _requests(recorder, "createSimpleEntitlementRequest")
    assert request.find(f"{V4}simpleEntitlement/{V4}soldTo") is None
    found = client.get_entitlement("NOBODY-1")
    assert found.sold_to is None and found.line_items[0].number_of_copies == 2
    recorder.assert_valid(xsd)


def test_counts_equal_the_walks(client, sim, recorder, xsd):
    assert client.count_entitlements() == len(DEMO_ENTITLEMENTS) == len(list(client.iter_entitlements()))
    assert client.count_entitlements(sold_to="NW-0042") == len(
        list(client.iter_entitlements(sold_to="NW-0042"))
    )
    assert client.count_entitlements(entitlement_id="NO-SUCH") == 0
    assert client.count_accounts() == len(DEMO_ACCOUNTS)
    assert client.count_accounts(account_type="CHANNEL_PARTNER") == 2
    assert client.count_users() == len(DEMO_USERS)
    assert (
        client.count_users(account_id="ACME-001") == len(list(client.iter_users(account_id="ACME-001"))) == 3
    )
    lines = sum(len(items) for _, _, items in DEMO_ENTITLEMENTS)
    assert client.count_line_items() == lines == len(list(client.iter_line_items()))
    assert (
        client.count_line_items(sold_to="NW-0042")
        == len(list(client.iter_line_items(sold_to="NW-0042")))
        == 3
    )
    assert client.count_line_items(activation_id="ENT-NW-2001-L2") == 1
    products = sum(len(items) for _, _, items in DEMO_CATALOG)
    assert client.count_products() == products == len(list(client.iter_products()))
    assert client.count_products(part_number="DVS-HA") == 1
    touched = sim.touch("accounts", 2)
    since = max(a.last_modified for a in client.iter_accounts() if a.account_id not in touched) + timedelta(
        microseconds=1
    )
    assert (
        client.count_accounts(modified_since=since)
        == len(list(client.iter_accounts(modified_since=since)))
        == 2
    )
    touched = sim.touch("line_items", 3)
    since = max(li.last_modified for li in client.iter_line_items() if li.activation_id not in touched)
    since += timedelta(microseconds=1)
    assert (
        client.count_line_items(modified_since=since)
        == len(list(client.iter_line_items(modified_since=since)))
        == 3
    )
    recorder.assert_valid(xsd)


def test_bulk_entitlements_do_not_end_the_entitlement_walk(client, recorder, xsd):
    """getEntitlementsQuery answers bulk entitlements among the simple ones: a page that holds
    some is full all the same, and the walk goes on to the simple entitlements after it."""
    b = Builder(NS_ENTITLEMENTS)
    root = b.root("createBulkEntitlementRequest")
    for number in range(3):
        bulk = b.sub(root, "bulkEntitlement")
        b.sub(b.sub(bulk, "entitlementId"), "id", f"BULK-{number}")
        b.sub(bulk, "soldTo", "SSP-900")
        b.sub(b.sub(b.sub(bulk, "partNumber"), "primaryKeys"), "partId", "SIMF-LIC")
        b.sub(bulk, "isPermanent", True)
        b.sub(bulk, "numberOfCopies", 10)
        b.sub(bulk, "autoDeploy", True)
    client._call(
        NS_ENTITLEMENTS, "createBulkEntitlement", root, "createBulkEntitlementResponse", idempotent=False
    )
    # a simple entitlement created after them: on the page after the bulk ones
    assert client.create_simple_entitlements([_seat("AFTER-BULK")]).ok
    simple = len(DEMO_ENTITLEMENTS) + 1
    assert client.count_entitlements() == simple + 3  # the count takes the bulk ones too
    # pages of two: one of them holds bulk entitlements only, the next one the last simple one
    walked = [e.entitlement_id for page in client.iter_entitlement_pages(page_size=2) for e in page]
    assert len(walked) == simple
    assert walked[-1] == "AFTER-BULK"
    recorder.assert_valid(xsd)


def test_counts_on_a_v1_site(sim, recorder, xsd):
    session = requests.Session()
    session.hooks["response"].append(recorder.hook)
    client = FlexNetClient(sim.url, BasicAuth("admin", "admin"), account_api=ACCOUNT_API_V1, session=session)
    assert client.count_accounts() == len(DEMO_ACCOUNTS)
    assert client.count_accounts(account_type="CUSTOMER") == 5
    assert client.count_users(account_id="GLX-017") == 2
    assert {m.localname for m in (etree.QName(el) for el in _bodies(recorder))} >= {
        "getOrganizationCountRequest",
        "getUserCountRequest",
    }
    recorder.assert_valid(xsd)


def _bodies(recorder):
    return [
        etree.fromstring(body).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]
        for kind, body in recorder.messages
        if kind == "request" and body
    ]


def test_line_items_added_to_an_entitlement_then_linked(client, recorder, xsd):
    today = date.today()
    addition = LineItemAddition(
        "ENT-GLX-3001",
        line_items=[
            NewLineItem(
                "SIMF-SEAT",
                5,
                activation_id="ENT-GLX-3001-L3",
                order_id="SO-77",
                order_line_number="1",
                start_date=today,
                expiration_date=today + timedelta(days=365),
            )
        ],
        maintenance_line_items=[
            NewMaintenanceLineItem(
                "SIMF-MNT-1Y",
                parent_activation_id="ENT-GLX-3001-L3",
                activation_id="ENT-GLX-3001-L3-M",
                start_date=today,
                expiration_date=today + timedelta(days=365),
            )
        ],
    )
    result = client.create_line_items([addition, LineItemAddition("NO-SUCH", [NewLineItem("SIMF-SEAT", 1)])])
    assert result.status == "PARTIAL_FAILURE"
    [created] = result.created
    assert created.entitlement_id == "ENT-GLX-3001" and created.unique_id
    assert (created.activation_ids, created.maintenance_activation_ids) == (
        ["ENT-GLX-3001-L3"],
        ["ENT-GLX-3001-L3-M"],
    )
    assert [(f.key, f.reason) for f in result.failed] == [("NO-SUCH", "entitlement NO-SUCH does not exist")]
    [line] = client.iter_line_items(activation_id="ENT-GLX-3001-L3")
    assert (line.number_of_copies, line.state, line.order_id) == (5, "DEPLOYED", "SO-77")
    assert [m.activation_id for m in line.maintenance] == ["ENT-GLX-3001-L3-M"]
    again = client.create_line_items([addition])  # CREATE_OR_IGNORE: a retry adopts what exists
    assert again.ok and again.created[0].activation_ids == ["ENT-GLX-3001-L3"]

    links = [
        MaintenanceLink("ENT-GLX-3001-L2", "ENT-GLX-3001-L1-M"),
        MaintenanceLink("ENT-GLX-3001-L2", "NO-SUCH-M"),
    ]
    linked = client.link_maintenance(links)
    assert linked.status == "PARTIAL_FAILURE"
    assert linked.created == links[:1]
    assert [(f.key, f.reason) for f in linked.failed] == [
        ("NO-SUCH-M", "maintenance line item NO-SUCH-M does not exist")
    ]
    [line] = client.iter_line_items(activation_id="ENT-GLX-3001-L2")
    assert [m.activation_id for m in line.maintenance] == ["ENT-GLX-3001-L1-M"]
    assert client.link_maintenance(links[:1]).ok  # linking again changes nothing
    recorder.assert_valid(xsd)


def test_added_line_items_can_wait_as_drafts(client, recorder, xsd):
    result = client.create_line_items(
        [LineItemAddition("ENT-INI-4001", [NewLineItem("DVS-HA", 1, is_permanent=True)], auto_deploy=False)]
    )
    [activation] = result.created[0].activation_ids
    assert activation.startswith("ENT-INI-4001-")  # generated by FlexNet
    [line] = client.iter_line_items(activation_id=activation)
    assert line.state == "DRAFT" and line.entitlement_state == "DEPLOYED"
    recorder.assert_valid(xsd)


class _PagesOfAnotherSite(requests.adapters.BaseAdapter):
    """A site that pages by modification time: between the client's calls one account changed,
    so page 2 repeats an account of page 1 and page 3 brings the changed one again."""

    PAGES = (
        (("A-1", "2026-01-01T00:00:00.000Z"), ("A-2", "2026-01-01T00:00:00.000Z")),
        (("A-2", "2026-01-01T00:00:00.000Z"), ("A-3", "2026-01-01T00:00:00.000Z")),
        (("A-1", "2026-01-02T00:00:00.000Z"),),
    )

    def send(self, request, **kwargs):
        payload = etree.fromstring(request.body).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]
        page = int(payload.findtext("{urn:v3.webservices.operations.flexnet.com}pageNumber"))
        accounts = "".join(
            f"<acctData><account><primaryKeys><id>{key}</id></primaryKeys></account><name>{key}</name>"
            f"<dateLastModified>{stamp}</dateLastModified></acctData>"
            for key, stamp in (self.PAGES[page - 1] if page <= len(self.PAGES) else ())
        )
        response = requests.Response()
        response.status_code = 200
        response.request = request
        response._content = (
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
            '<getAccountsQueryResponse xmlns="urn:v3.webservices.operations.flexnet.com">'
            f"<statusInfo><status>SUCCESS</status></statusInfo><responseData>{accounts}</responseData>"
            "</getAccountsQueryResponse></soapenv:Body></soapenv:Envelope>"
        ).encode()
        return response

    def close(self):
        pass


def test_the_client_does_not_depend_on_page_order():
    session = requests.Session()
    session.mount("http://", _PagesOfAnotherSite())
    client = FlexNetClient("http://fno.example.com", BasicAuth("a", "b"), session=session, page_size=2)
    walked = [(a.account_id, a.last_modified.day) for a in client.iter_accounts()]
    # the plain repeat is dropped; the changed account comes again, newer
    assert walked == [("A-1", 1), ("A-2", 1), ("A-3", 1), ("A-1", 2)]


def test_create_or_ignore_adds_what_is_missing_and_leaves_the_rest(client, recorder, xsd):
    first = NewEntitlement(
        "ACME-001",
        "IGN-1",
        line_items=[NewLineItem("CADS-SEAT", 1, activation_id="IGN-1-1", is_permanent=True)],
    )
    assert client.create_simple_entitlements([first]).ok
    second = NewEntitlement(
        "ACME-001",
        "IGN-1",
        line_items=[
            NewLineItem("CADS-SEAT", 9, activation_id="IGN-1-1", is_permanent=True),  # exists: ignored
            NewLineItem("CADS-RENDER", 2, activation_id="IGN-1-2", is_permanent=True),  # missing: created
        ],
    )
    result = client.create_simple_entitlements([second])
    assert result.ok and result.created[0].activation_ids == ["IGN-1-1", "IGN-1-2"]
    found = client.get_entitlement("IGN-1")
    assert [(li.activation_id, li.number_of_copies) for li in found.line_items] == [
        ("IGN-1-1", 1),
        ("IGN-1-2", 2),
    ]
    recorder.assert_valid(xsd)
