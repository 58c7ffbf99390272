"""A third-party SOAP toolkit (zeep) that loads the real WSDLs can use the simulator."""

import re
import shutil
from datetime import date, timedelta

import pytest
import zeep  # a requirement: this check is never skipped


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
