"""A third-party SOAP toolkit (zeep) that loads the real WSDLs can use the simulator."""

import re
import shutil
from datetime import date, timedelta

import pytest
import requests
import zeep  # a requirement: this check is never skipped
from lxml import etree


@pytest.fixture
def zeep_wsdls(wsdl_dir, tmp_path):
    """Temporary copies with Axis' ``vN/`` binding and port names made valid names."""
    for source in wsdl_dir.glob("*.wsdl"):
        text = source.read_text(encoding="utf-8")
        text = re.sub(r'((?:name|binding)="(?:impl:)?v\d)/', r"\1_", text)
        (tmp_path / source.name).write_text(text, encoding="utf-8")
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


def _service(zeep_wsdls, name, binding, sim):
    transport = zeep.Transport(session=sim.admin)  # HTTP Basic admin/admin
    client = zeep.Client(str(zeep_wsdls / name), transport=transport)
    binding_name = next(b for b in client.wsdl.bindings if b.endswith(binding))
    service_path = re.sub(r".*\}v(\d)_(\w+)SoapBinding", r"v\1/\2", binding_name)
    return client.create_service(binding_name, f"{sim.url}/flexnet/services/{service_path}")


def test_zeep_products_and_line_items(zeep_wsdls, sim):
    products = _service(
        zeep_wsdls, "ProductPackagingService.v2.wsdl", "ProductPackagingServiceSoapBinding", sim
    )
    answer = products.getProductsQuery(
        queryParams={}, pageNumber=1, batchSize=50, returnContainedObjects=True
    )
    assert answer.statusInfo.status == "SUCCESS"
    parts = {
        p.primaryKeys.partId
        for product in answer.responseData.product
        for p in product.partNumbers.partNumber
    }
    assert "CADS-MEDIA-DVD" in parts and len(answer.responseData.product) == 14

    entitlements = _service(
        zeep_wsdls, "EntitlementOrderService.v4.wsdl", "EntitlementOrderServiceSoapBinding", sim
    )
    answer = entitlements.getEntitlementLineItemPropertiesQuery(
        queryParams={"soldTo": {"value": "NW-0042", "searchType": "EQUALS"}},
        entitlementLineItemResponseConfig={"activationId": True, "numberOfCopies": True, "partNumber": True},
        batchSize=100,
        pageNumber=1,
    )
    assert answer.statusInfo.status == "SUCCESS"
    seats = {li.activationId.primaryKeys.activationId: li.numberOfCopies for li in answer.entitlementLineItem}
    assert seats == {"ENT-NW-2001-L1": 4, "ENT-NW-2001-L2": 2, "ENT-NW-2002-L1": 1}


def test_zeep_create_simple_entitlement(zeep_wsdls, sim):
    entitlements = _service(
        zeep_wsdls, "EntitlementOrderService.v4.wsdl", "EntitlementOrderServiceSoapBinding", sim
    )
    today = date.today()
    answer = entitlements.createSimpleEntitlement(
        simpleEntitlement=[
            {
                "entitlementId": {"id": "ZEEP-1"},
                "soldTo": "GLX-017",
                "lineItems": [
                    {
                        "activationId": {"autoGenerate": True},
                        "partNumber": {"primaryKeys": {"partId": "SIMF-SEAT"}},
                        "numberOfCopies": 5,
                        "startDate": today,
                        "expirationDate": today + timedelta(days=30),
                    }
                ],
            }
        ],
        opType="CREATE_OR_UPDATE",
    )
    assert answer.statusInfo.status == "SUCCESS"
    created = answer.responseData.createdSimpleEntitlement[0]
    assert created.entitlementId == "ZEEP-1"
    assert created.lineItemIdentifiers[0].primaryKeys.activationId.startswith("ZEEP-1-")


# --- the WSDLs served by the simulator, and the operations real flows need ------------------

V4 = "/flexnet/services/v4/EntitlementOrderService"
V3 = "/flexnet/services/v3/UserAcctHierarchyService"
V2 = "/flexnet/services/v2/ProductPackagingService"
V1 = "/flexnet/services/v1/UserOrgHierarchyService"
AUTH = "/flexnet/services/v1/FlexnetAuthentication"


class AxisNames(zeep.Transport):
    """Loads WSDLs over HTTP, giving Axis' ``vN/`` binding and port names a form zeep accepts
    (the messages are unaffected)."""

    def _load_remote_data(self, url):
        return re.sub(rb'((?:name|binding)="(?:impl:)?v\d)/', rb"\1_", super()._load_remote_data(url))


def _from_url(sim, path, auth=("admin", "admin")):
    """A zeep service built from the simulator's ``?wsdl``, calling the address it names."""
    session = requests.Session()
    session.auth = auth
    return zeep.Client(f"{sim.url}{path}?wsdl", transport=AxisNames(session=session)).service


def _q(value, search_type="EQUALS"):
    return {"value": value, "searchType": search_type}


def _lines(service, **criteria):
    answer = service.getEntitlementLineItemPropertiesQuery(
        queryParams=criteria,
        entitlementLineItemResponseConfig={"activationId": True, "state": True, "maintenance": True},
        batchSize=2000,
        pageNumber=1,
    )
    assert answer.statusInfo.status == "SUCCESS"
    return {li.activationId.primaryKeys.activationId: li for li in answer.entitlementLineItem}


def test_zeep_loads_every_wsdl_from_the_simulator(sim):
    for path in (V4, V3, V2, V1, AUTH):
        client = zeep.Client(f"{sim.url}{path}?wsdl", transport=AxisNames(session=sim.admin))
        [service] = client.wsdl.services.values()
        [port] = service.ports.values()
        assert port.binding_options["address"] == sim.url + path
    # the default address is the simulator's: a call goes there
    answer = _from_url(sim, AUTH).authenticateUser(
        userName="carla@northwind.example.com", password="flexnet", domainName="FLEXnet"
    )
    assert answer is True  # zeep unwraps the one-element AuthenticateUserReturn


def test_zeep_counts_equal_query_totals(sim):
    entitlements = _from_url(sim, V4)
    for criteria in ({}, {"soldTo": _q("NW-0042")}, {"partNumber": _q("SIMF-LIC")}, {"isBulk": False}):
        count = entitlements.getEntitlementCount(queryParams=criteria)
        found = entitlements.getEntitlementsQuery(entitlementSearchCriteria=criteria, batchSize=2000)
        assert count.statusInfo.status == "SUCCESS"
        assert count["count"] == len(found.entitlement), criteria
    assert entitlements.getEntitlementCount(queryParams={"partNumber": _q("SIMF-LIC")})["count"] == 3

    accounts = _from_url(sim, V3)
    for criteria in ({}, {"accountType": "CHANNEL_PARTNER"}, {"country": _q("US")}):
        count = accounts.getAccountCount(queryParams=criteria).responseData["count"]
        found = accounts.getAccountsQuery(queryParams=criteria, pageNumber=1, batchSize=2000)
        assert count == len(found.responseData.acctData), criteria
    for criteria in ({}, {"accountID": _q("ACME-001")}, {"roles": {"roleName": ["Portal Admin"]}}):
        count = accounts.getUserCount(queryParams=criteria).responseData["count"]
        found = accounts.getUsersQuery(queryParams=criteria, pageNumber=1, batchSize=2000)
        assert count == len(found.responseData.user), criteria
    assert (
        accounts.getUserCount(queryParams={"roles": {"roleName": ["Portal Admin"]}}).responseData["count"]
        == 7
    )

    organizations = _from_url(sim, V1)
    criteria = {"orgType": "CUSTOMER"}
    count = organizations.getOrganizationCount(queryParams=criteria).responseData["count"]
    found = organizations.getOrganizationsQuery(queryParams=criteria, pageNumber=1, batchSize=2000)
    assert count == len(found.responseData.orgData) == 5
    count = organizations.getUserCount(queryParams={"orgName": _q("GLX-017")}).responseData["count"]
    assert count == 2

    products = _from_url(sim, V2)
    criteria = {"productName": _q("SimFlow", "STARTS_WITH")}
    count = products.getProductCount(queryParams=criteria).responseData["count"]
    found = products.getProductsQuery(
        queryParams=criteria, pageNumber=1, batchSize=2000, returnContainedObjects=True
    )
    assert count == len(found.responseData.product) == 5


def test_zeep_auto_deploy_false_is_a_draft_until_deployed(sim):
    service = _from_url(sim, V4)
    today = date.today()
    answer = service.createSimpleEntitlement(
        simpleEntitlement=[
            {  # no soldTo: FlexNet accepts an entitlement without an end customer
                "entitlementId": {"id": "DRAFT-1"},
                "lineItems": [
                    {
                        "activationId": {"id": "DRAFT-1-1"},
                        "partNumber": {"primaryKeys": {"partId": "CADS-PRO-LIC"}},
                        "numberOfCopies": 1,
                        "startDate": today,
                        "expirationDate": today + timedelta(days=365),
                    }
                ],
                "autoDeploy": False,
            },
            {
                "entitlementId": {"id": "LIVE-1"},
                "soldTo": "ACME-001",
                "lineItems": [
                    {
                        "activationId": {"id": "LIVE-1-1"},
                        "partNumber": {"primaryKeys": {"partId": "CADS-SEAT"}},
                        "numberOfCopies": 2,
                        "isPermanent": True,
                    }
                ],
                "autoDeploy": True,
            },
        ]
    )
    assert answer.statusInfo.status == "SUCCESS"
    assert [c.recordRefNo for c in answer.responseData.createdSimpleEntitlement] == ["1", "2"]

    def state(ent_id):
        [found] = service.getEntitlementsQuery(
            entitlementSearchCriteria={"entitlementId": _q(ent_id)}, batchSize=10
        ).entitlement
        simple = found.simpleEntitlement
        return simple.state, [li.state for li in simple.lineItems], simple.soldTo

    assert state("DRAFT-1") == ("DRAFT", ["DRAFT"], None)
    assert state("LIVE-1") == ("DEPLOYED", ["DEPLOYED"], "ACME-001")
    assert service.getEntitlementCount(queryParams={"state": _q("DRAFT")})["count"] == 1

    deployed = service.setEntitlementState(
        entitlement=[
            {"entitlementIdentifier": {"primaryKeys": {"entitlementId": "DRAFT-1"}}, "stateToSet": "DEPLOYED"}
        ]
    )
    assert deployed.statusInfo.status == "SUCCESS"
    assert state("DRAFT-1") == ("DEPLOYED", ["DEPLOYED"], None)
    assert _lines(service, entitlementId=_q("DRAFT-1"))["DRAFT-1-1"].state == "DEPLOYED"

    # obsolete is final; TEST, ACTIVE and ON_HOLD are not states an entitlement is set to
    def set_state(ent_id, wanted):
        return service.setEntitlementState(
            entitlement=[
                {"entitlementIdentifier": {"primaryKeys": {"entitlementId": ent_id}}, "stateToSet": wanted}
            ]
        )

    assert set_state("DRAFT-1", "OBSOLETE").statusInfo.status == "SUCCESS"
    refused = set_state("DRAFT-1", "DEPLOYED")
    assert refused.statusInfo.status == "FAILURE"
    [failed] = refused.failedData.failedEntitlement
    assert failed.entitlement.stateToSet == "DEPLOYED" and "obsolete" in failed.reason
    assert state("DRAFT-1")[0] == "OBSOLETE"
    for wanted in ("TEST", "ACTIVE", "ON_HOLD"):
        assert set_state("LIVE-1", wanted).statusInfo.status == "FAILURE"
    assert set_state("NO-SUCH", "DEPLOYED").failedData.failedEntitlement[0].reason == (
        "entitlement NO-SUCH does not exist"
    )


def test_zeep_autodeploy_absent_leaves_a_draft(sim):
    service = _from_url(sim, V4)
    service.createSimpleEntitlement(
        simpleEntitlement=[
            {
                "entitlementId": {"id": "PLAIN-1"},
                "soldTo": "INI-220",
                "lineItems": [
                    {
                        "activationId": {"autoGenerate": True},
                        "partNumber": {"primaryKeys": {"partId": "DVS-HA"}},
                        "numberOfCopies": 1,
                        "isPermanent": True,
                    }
                ],
            }
        ]
    )
    [found] = service.getEntitlementsQuery(
        entitlementSearchCriteria={"entitlementId": _q("PLAIN-1")}, batchSize=5
    ).entitlement
    assert found.simpleEntitlement.state == "DRAFT"


def test_zeep_line_items_added_updated_and_linked(sim):
    service = _from_url(sim, V4)
    today = date.today()
    added = service.createEntitlementLineItem(
        lineItem=[
            {
                "entitlementIdentifier": {"primaryKeys": {"entitlementId": "ENT-NW-2001"}},
                "lineItems": [
                    {
                        "activationId": {"id": "ENT-NW-2001-L3"},
                        "partNumber": {"primaryKeys": {"partId": "CADS-RENDER"}},
                        "numberOfCopies": 3,
                        "startDate": today,
                        "term": {"numDuration": 1, "durationUnit": "YEARS"},
                    }
                ],
                "maintenanceLineItems": [
                    {
                        "activationId": {"id": "ENT-NW-2001-L3-M"},
                        "partNumber": {"primaryKeys": {"partId": "CADS-MNT-1Y"}},
                        "startDate": today,
                        "expirationDate": today + timedelta(days=365),
                        "parentLineItem": {"primaryKeys": {"activationId": "ENT-NW-2001-L3"}},
                    }
                ],
                "autoDeploy": True,
            },
            {
                "entitlementIdentifier": {"primaryKeys": {"entitlementId": "NO-SUCH"}},
                "lineItems": [
                    {
                        "activationId": {"autoGenerate": True},
                        "partNumber": {"primaryKeys": {"partId": "CADS-SEAT"}},
                        "numberOfCopies": 1,
                        "isPermanent": True,
                    }
                ],
            },
        ]
    )
    assert added.statusInfo.status == "PARTIAL_FAILURE"
    [done] = added.responseData.addedLineItems
    assert done.entitlementIdentifier.primaryKeys.entitlementId == "ENT-NW-2001"
    assert [i.primaryKeys.activationId for i in done.lineItemIdentifiers] == ["ENT-NW-2001-L3"]
    assert [i.primaryKeys.activationId for i in done.maintenanceLineItemIdentifiers] == ["ENT-NW-2001-L3-M"]
    [failed] = added.failedData.failedLineItemData
    assert failed.reason == "entitlement NO-SUCH does not exist"

    line = _lines(service, activationId=_q("ENT-NW-2001-L3"))["ENT-NW-2001-L3"]
    assert line.state == "DEPLOYED" and line.maintenanceLineItems[
        0
    ].activationId.primaryKeys.activationId == ("ENT-NW-2001-L3-M")
    again = service.createEntitlementLineItem(  # no opType: an existing activation ID is refused
        lineItem=[
            {
                "entitlementIdentifier": {"primaryKeys": {"entitlementId": "ENT-NW-2001"}},
                "lineItems": [
                    {
                        "activationId": {"id": "ENT-NW-2001-L3"},
                        "partNumber": {"primaryKeys": {"partId": "CADS-RENDER"}},
                        "numberOfCopies": 3,
                        "isPermanent": True,
                    }
                ],
            }
        ]
    )
    assert again.statusInfo.status == "FAILURE"
    assert "already exists" in again.failedData.failedLineItemData[0].reason

    updated = service.updateEntitlementLineItem(
        lineItemData=[
            {
                "entitlementIdentifier": {"primaryKeys": {"entitlementId": "ENT-NW-2001"}},
                "lineItemData": [
                    {
                        "lineItemIdentifier": {"primaryKeys": {"activationId": "ENT-NW-2001-L3"}},
                        "numberOfCopies": 5,
                        "expirationDate": today + timedelta(days=30),
                    }
                ],
            }
        ]
    )
    assert updated.statusInfo.status == "SUCCESS"
    answer = service.getEntitlementLineItemPropertiesQuery(
        queryParams={"activationId": _q("ENT-NW-2001-L3")},
        entitlementLineItemResponseConfig={
            "numberOfCopies": True,
            "expirationDate": True,
            "isPermanent": True,
        },
        batchSize=5,
    )
    [line] = answer.entitlementLineItem
    assert (line.numberOfCopies, line.expirationDate, line.isPermanent) == (
        5,
        today + timedelta(days=30),
        False,
    )
    refused = service.updateEntitlementLineItem(  # a line of another entitlement
        lineItemData=[
            {
                "entitlementIdentifier": {"primaryKeys": {"entitlementId": "ENT-NW-2001"}},
                "lineItemData": [
                    {
                        "lineItemIdentifier": {"primaryKeys": {"activationId": "ENT-ACME-1001-L1"}},
                        "numberOfCopies": 1,
                    }
                ],
            }
        ]
    )
    assert refused.statusInfo.status == "FAILURE"
    assert "does not belong to entitlement ENT-NW-2001" in refused.failedData.failedData[0].reason

    linked = service.linkMaintenanceLineItem(
        linkMaintenanceLineItemList={
            "linkMaintenanceLineItem": [
                {
                    "lineItemIdentifier": {"primaryKeys": {"activationId": "ENT-NW-2001-L2"}},
                    "maintenanceLineItemIdentifier": {"primaryKeys": {"activationId": "ENT-NW-2001-L1-M"}},
                },
                {
                    "lineItemIdentifier": {"primaryKeys": {"activationId": "ENT-NW-2001-L2"}},
                    "maintenanceLineItemIdentifier": {"primaryKeys": {"activationId": "NO-SUCH-M"}},
                },
            ]
        }
    )
    assert linked.statusInfo.status == "PARTIAL_FAILURE"
    assert (
        linked.failedData.failedLinkMaintenanceLineItem[0].reason
        == "maintenance line item NO-SUCH-M does not exist"
    )
    lines = _lines(service, entitlementId=_q("ENT-NW-2001"))
    assert [
        m.activationId.primaryKeys.activationId for m in lines["ENT-NW-2001-L2"].maintenanceLineItems
    ] == ["ENT-NW-2001-L1-M"]
    maintenance = service.getEntitlementMaintenanceLineItemPropertiesQuery(
        queryParams={"activationId": _q("ENT-NW-2001-L1-M")},
        entitlementMaintenanceLineItemResponseConfig={
            "activationId": True,
            "linkedEntitlementLineItem": True,
        },
        batchSize=5,
    )
    [item] = maintenance.entitlementMaintenanceLineItem
    assert item.linkedLineItemActivationId == ["ENT-NW-2001-L1", "ENT-NW-2001-L2"]


def test_zeep_bulk_entitlements_and_features(sim):
    service = _from_url(sim, V4)
    created = service.createBulkEntitlement(
        bulkEntitlement=[
            {
                "entitlementId": {"id": "BULK-1"},
                "soldTo": "SSP-900",
                "partNumber": {"primaryKeys": {"partId": "SIMF-LIC"}},
                "isPermanent": True,
                "numberOfCopies": 50,
                "autoDeploy": True,
            }
        ]
    )
    assert created.statusInfo.status == "SUCCESS"
    assert created.responseData.createdBulkEntitlement[0].bulkEntitlementId == "BULK-1"
    found = service.getEntitlementsQuery(entitlementSearchCriteria={"isBulk": True}, batchSize=10)
    [bulk] = [e.bulkEntitlement for e in found.entitlement]
    assert (bulk.entitlementId.id, bulk.numberOfCopies, bulk.state) == ("BULK-1", 50, "DEPLOYED")
    assert service.getEntitlementCount(queryParams={"isBulk": False})["count"] == 8
    duplicate = service.createBulkEntitlement(
        bulkEntitlement=[
            {
                "entitlementId": {"id": "ENT-ACME-1001"},
                "partNumber": {"primaryKeys": {"partId": "SIMF-LIC"}},
                "numberOfCopies": 1,
                "isPermanent": True,
            }
        ]
    )
    assert (
        duplicate.failedData.failedBulkEntitlement[0].reason == "entitlement ID ENT-ACME-1001 already exists"
    )

    products = _from_url(sim, V2)
    features = products.getFeaturesQuery(
        queryParams={"featureName": _q("CADStudio", "STARTS_WITH")}, pageNumber=1, batchSize=10
    )
    assert [f.featureName for f in features.responseData.feature] == ["CADStudio", "CADStudioRenderModule"]


FORBIDDEN = ',"&%^()#@!~/<>`}{=|.'


def test_zeep_forbidden_activation_id_characters_are_refused(sim):
    service = _from_url(sim, V4)
    answer = service.createSimpleEntitlement(
        simpleEntitlement=[
            {
                "entitlementId": {"id": f"CHARS-{n}"},
                "soldTo": "UMB-515",
                "lineItems": [
                    {
                        "activationId": {"id": f"BAD{char}ID"},
                        "partNumber": {"primaryKeys": {"partId": "DVS-HA"}},
                        "numberOfCopies": 1,
                        "isPermanent": True,
                    }
                ],
            }
            for n, char in enumerate(FORBIDDEN)
        ]
    )
    assert answer.statusInfo.status == "FAILURE"
    reasons = [f.reason for f in answer.failedData.failedSimpleEntitlement]
    assert len(reasons) == len(FORBIDDEN)
    for char, reason in zip(FORBIDDEN, reasons, strict=True):
        assert reason.endswith(f"contains characters FlexNet does not allow: {char}"), reason
    assert (
        service.getEntitlementCount(queryParams={"entitlementId": _q("CHARS-", "STARTS_WITH")})["count"] == 0
    )
    slash = service.createSimpleEntitlement(
        simpleEntitlement=[{"entitlementId": {"id": "SO/2026/1"}, "soldTo": "UMB-515"}]
    )
    assert (
        "contains characters FlexNet does not allow: /" in slash.failedData.failedSimpleEntitlement[0].reason
    )
    fine = service.createSimpleEntitlement(
        simpleEntitlement=[
            {
                "entitlementId": {"id": "OK_ID-1"},
                "soldTo": "UMB-515",
                "lineItems": [
                    {
                        "activationId": {"id": "OK_ID-1:a+b*c$"},
                        "partNumber": {"primaryKeys": {"partId": "DVS-HA"}},
                        "numberOfCopies": 1,
                        "isPermanent": True,
                    }
                ],
                "autoDeploy": True,
            }
        ]
    )
    assert fine.statusInfo.status == "SUCCESS"


def test_zeep_duplicate_entitlement_id_is_a_failure(sim):
    service = _from_url(sim, V4)
    answer = service.createSimpleEntitlement(
        simpleEntitlement=[{"entitlementId": {"id": "ENT-ACME-1001"}, "soldTo": "ACME-001"}]
    )
    assert answer.statusInfo.status == "FAILURE"
    assert (
        answer.failedData.failedSimpleEntitlement[0].reason == "entitlement ID ENT-ACME-1001 already exists"
    )
    other = service.createSimpleEntitlement(
        simpleEntitlement=[{"entitlementId": {"id": "ENT-ACME-1001"}, "soldTo": "NW-0042"}],
        opType="CREATE_OR_IGNORE",
    )
    assert (
        other.failedData.failedSimpleEntitlement[0].reason
        == "entitlement ENT-ACME-1001 belongs to another account"
    )


def test_zeep_a_domain_that_is_not_the_users_is_refused(sim):
    with pytest.raises(zeep.exceptions.TransportError) as info:
        _from_url(sim, V3, auth=("admin##UnknownDomain", "admin")).getAccountCount(queryParams={})
    assert info.value.status_code == 401
    accepted = _from_url(sim, V3, auth=("admin##flexnet", "admin")).getAccountCount(queryParams={})
    assert accepted.responseData["count"] == 7
    auth = _from_url(sim, AUTH)
    for name, domain, expected in (
        ("carla@northwind.example.com##FLEXnet", "FLEXnet", True),
        ("carla@northwind.example.com##UnknownDomain", "FLEXnet", False),
        ("carla@northwind.example.com", "UnknownDomain", False),
    ):
        assert auth.authenticateUser(userName=name, password="flexnet", domainName=domain) is expected, name


def test_zeep_every_criterion_is_honoured(sim):
    service = _from_url(sim, V4)
    found = service.getEntitlementsQuery(
        entitlementSearchCriteria={"partNumber": _q("SIMF-LIC")}, batchSize=50
    )
    assert sorted(e.simpleEntitlement.entitlementId.id for e in found.entitlement) == [
        "ENT-ACME-1002",
        "ENT-GLX-3001",
        "ENT-SSP-9001",
    ]
    assert _lines(service, isPermanent=False) == {}  # every demo line is permanent
    assert len(_lines(service, isPermanent=True)) == 13
    assert set(_lines(service, productName=_q("DataVault", "STARTS_WITH"))) == {
        "ENT-NW-2002-L1",
        "ENT-INI-4001-L1",
        "ENT-INI-4001-L2",
    }
    assert _lines(service, activatableItemType="WEBREGKEY") == {}
    expiring = service.getEntitlementsQuery(
        entitlementSearchCriteria={"maintExpirationDate": {"value": date.today(), "searchType": "BEFORE"}},
        batchSize=50,
    )
    assert sorted(e.simpleEntitlement.entitlementId.id for e in expiring.entitlement) == [
        "ENT-INI-4001",
        "ENT-NW-2002",
    ]
    with pytest.raises(zeep.exceptions.Fault, match="does not implement the criterion licenseTechnology"):
        service.getEntitlementsQuery(
            entitlementSearchCriteria={"licenseTechnology": _q("FlexNet")}, batchSize=5
        )


def test_an_unknown_element_gets_axis_fault_from_zeep_built_messages(sim):
    service_client = zeep.Client(f"{sim.url}{V4}?wsdl", transport=AxisNames(session=sim.admin))
    message = service_client.create_message(
        service_client.service,
        "getEntitlementLineItemPropertiesQuery",
        queryParams={"soldTo": _q("NW-0042")},
        entitlementLineItemResponseConfig={"activationId": True},
        batchSize=10,
    )
    params = message.find(".//{urn:v4.webservices.operations.flexnet.com}queryParams")
    etree.SubElement(params, "{urn:v4.webservices.operations.flexnet.com}colour").text = "red"
    response = sim.admin.post(
        f"{sim.url}{V4}", data=etree.tostring(message), headers={"Content-Type": "text/xml"}, timeout=10
    )
    assert response.status_code == 500
    fault = etree.fromstring(response.content).find(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault")
    assert fault.findtext("faultcode") == "soapenv:Server.userException"
    assert fault.findtext("faultstring").startswith(
        "org.xml.sax.SAXException: Invalid element in com.flexnet.operations.webservices.v4.SearchActivatableItemDataType - colour"
    )


@pytest.mark.parametrize("kind", ["line_items", "accounts", "users"])
def test_a_paged_walk_while_records_change_neither_skips_nor_repeats(sim, kind):
    if kind == "line_items":
        service = _from_url(sim, V4)

        def page(number):
            answer = service.getEntitlementLineItemPropertiesQuery(
                queryParams={},
                entitlementLineItemResponseConfig={"activationId": True},
                batchSize=3,
                pageNumber=number,
            )
            return [li.activationId.primaryKeys.activationId for li in answer.entitlementLineItem]

        total = 13
    else:
        service = _from_url(sim, V3)
        query = service.getAccountsQuery if kind == "accounts" else service.getUsersQuery

        def page(number):
            data = query(queryParams={}, pageNumber=number, batchSize=3).responseData
            if kind == "accounts":
                return [a.account.primaryKeys.id for a in data.acctData]
            return [u.userIdentifier.userName for u in data.user]

        total = 7 if kind == "accounts" else 13
    seen, number = [], 1
    while True:
        records = page(number)
        seen += records
        # between pages, records are modified: on a site paging by modification time the
        # modified ones move to the end, so that others skip a page and they come twice
        sim.touch(kind, 4)
        if len(records) < 3:
            break
        number += 1
    assert len(seen) == len(set(seen)) == total


def test_zeep_inactive_and_obsolete_entitlements_refuse_changes(sim):
    service = _from_url(sim, V4)

    def set_state(ent_id, wanted):
        answer = service.setEntitlementState(
            entitlement=[
                {"entitlementIdentifier": {"primaryKeys": {"entitlementId": ent_id}}, "stateToSet": wanted}
            ]
        )
        assert answer.statusInfo.status == "SUCCESS"

    set_state("ENT-UMB-5001", "INACTIVE")
    assert _lines(service, entitlementId=_q("ENT-UMB-5001"))["ENT-UMB-5001-L1"].state == "INACTIVE"
    update = {
        "entitlementIdentifier": {"primaryKeys": {"entitlementId": "ENT-UMB-5001"}},
        "lineItemData": [
            {"lineItemIdentifier": {"primaryKeys": {"activationId": "ENT-UMB-5001-L1"}}, "numberOfCopies": 9}
        ],
    }
    refused = service.updateEntitlementLineItem(lineItemData=[update])
    assert (
        refused.failedData.failedData[0].reason
        == "line item ENT-UMB-5001-L1 is INACTIVE and cannot be edited"
    )
    set_state("ENT-UMB-5001", "DEPLOYED")  # inactive is not final
    assert service.updateEntitlementLineItem(lineItemData=[update]).statusInfo.status == "SUCCESS"

    set_state("ENT-UMB-5001", "OBSOLETE")
    added = service.createEntitlementLineItem(
        lineItem=[
            {
                "entitlementIdentifier": {"primaryKeys": {"entitlementId": "ENT-UMB-5001"}},
                "lineItems": [
                    {
                        "activationId": {"autoGenerate": True},
                        "partNumber": {"primaryKeys": {"partId": "CADS-SEAT"}},
                        "numberOfCopies": 1,
                        "isPermanent": True,
                    }
                ],
            }
        ]
    )
    assert added.failedData.failedLineItemData[0].reason == (
        "entitlement ENT-UMB-5001 is obsolete and cannot be changed"
    )
    assert service.getEntitlementCount(queryParams={"state": _q("OBSOLETE")})["count"] == 1
