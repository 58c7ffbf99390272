"""The typed reading of a getEntitlementLineItemPropertiesQuery answer: every field the record
holds, with each optional element present and absent, and the elements the record does not
hold (the schema's others) passed over. The answer validates against the real WSDL."""

from datetime import date, datetime, timezone

import pytest
from flexnet_client.base import NS_ENTITLEMENTS
from flexnet_client.entitlements import LINE_ITEM_TAG, _line_item
from flexnet_client.records import LineItem, MaintenanceLineItem
from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
UTC = timezone.utc


def _ident(key, value, unique):
    return f"<ns1:uniqueId>{unique}</ns1:uniqueId><ns1:primaryKeys><ns1:{key}>{value}</ns1:{key}></ns1:primaryKeys>"


def _product(name, version, unique):
    return (
        f"<ns1:uniqueId>{unique}</ns1:uniqueId>"
        f"<ns1:primaryKeys><ns1:name>{name}</ns1:name><ns1:version>{version}</ns1:version></ns1:primaryKeys>"
    )


def _maintenance(activation, part, parent=None):
    # maintenanceLineItemPropertiesType has no parentLineItem: ``parent`` only for the test
    # of an answer that names it (other FNO answers do), and then the answer is not validated
    return (
        "<ns1:maintenanceLineItems>"
        f"<ns1:activationId>{_ident('activationId', activation, 'HID-' + activation)}</ns1:activationId>"
        f"<ns1:maintenanceProduct>{_product('SimFlow Maintenance', '1.0', 'HID-MP')}</ns1:maintenanceProduct>"
        f"<ns1:partNumber><ns1:primaryKeys><ns1:partId>{part}</ns1:partId></ns1:primaryKeys></ns1:partNumber>"
        "<ns1:orderId>SO-7</ns1:orderId><ns1:orderLineNumber>2</ns1:orderLineNumber>"
        "<ns1:startDate>2026-01-01</ns1:startDate><ns1:expirationDate>2026-12-31</ns1:expirationDate>"
        "<ns1:isPermanent>false</ns1:isPermanent><ns1:state>DEPLOYED</ns1:state>"
        "<ns1:maintenanceLineItemAttributes><ns1:attribute><ns1:attributeName>tier</ns1:attributeName>"
        "<ns1:stringValue>gold</ns1:stringValue></ns1:attribute></ns1:maintenanceLineItemAttributes>"
        + (
            f"<ns1:parentLineItem>{_ident('activationId', parent, 'HID-P')}</ns1:parentLineItem>"
            if parent
            else ""
        )
        + "</ns1:maintenanceLineItems>"
    )


# (element, its XML) in the schema's order; None marks what the typed record does not hold
ELEMENTS = [
    ("activationId", f"<ns1:activationId>{_ident('activationId', 'ACT-1', 'HID-L1')}</ns1:activationId>"),
    ("description", "<ns1:description>Two seats</ns1:description>"),
    ("state", "<ns1:state>DEPLOYED</ns1:state>"),
    (None, "<ns1:activatableItemType>LINEITEM</ns1:activatableItemType>"),
    ("orderId", "<ns1:orderId>SO-7</ns1:orderId>"),
    ("orderLineNumber", "<ns1:orderLineNumber>1</ns1:orderLineNumber>"),
    ("entitlementId", f"<ns1:entitlementId>{_ident('entitlementId', 'ENT-7', 'HID-E7')}</ns1:entitlementId>"),
    ("soldTo", f"<ns1:soldTo>{_ident('id', 'ACME-001', 'HID-A1')}</ns1:soldTo>"),
    ("soldToDisplayName", "<ns1:soldToDisplayName>ACME Corp</ns1:soldToDisplayName>"),
    ("entitlementState", "<ns1:entitlementState>DEPLOYED</ns1:entitlementState>"),
    (None, "<ns1:entitlementDescription>Order 7</ns1:entitlementDescription>"),
    (None, "<ns1:allowPortalLogin>true</ns1:allowPortalLogin>"),
    (None, "<ns1:shipToEmail>ops@acme.example.com</ns1:shipToEmail>"),
    (None, "<ns1:shipToAddress>1 Main St</ns1:shipToAddress>"),
    ("product", f"<ns1:product>{_product('SimFlow Analyzer', '5.2', 'HID-P1')}</ns1:product>"),
    (None, "<ns1:productDescription>SimFlow Analyzer</ns1:productDescription>"),
    ("partNumber", f"<ns1:partNumber>{_ident('partId', 'SIMF-LIC', 'HID-PN1')}</ns1:partNumber>"),
    (None, "<ns1:partNumberDescription>Seat licence</ns1:partNumberDescription>"),
    (
        None,
        "<ns1:licenseModel><ns1:primaryKeys><ns1:name>Floating</ns1:name></ns1:primaryKeys></ns1:licenseModel>",
    ),
    ("lineItemSupportAction", "<ns1:lineItemSupportAction>RENEWAL</ns1:lineItemSupportAction>"),
    (
        "parentLineItem",
        f"<ns1:parentLineItem>{_ident('activationId', 'ACT-0', 'HID-L0')}</ns1:parentLineItem>",
    ),
    ("startDate", "<ns1:startDate>2026-01-01</ns1:startDate>"),
    ("isPermanent", "<ns1:isPermanent>false</ns1:isPermanent>"),
    ("expirationDate", "<ns1:expirationDate>2027-01-01</ns1:expirationDate>"),
    ("numberOfCopies", "<ns1:numberOfCopies>5</ns1:numberOfCopies>"),
    ("fulfilledAmount", "<ns1:fulfilledAmount>2</ns1:fulfilledAmount>"),
    ("numberOfRemainingCopies", "<ns1:numberOfRemainingCopies>3</ns1:numberOfRemainingCopies>"),
    (None, "<ns1:isTrusted>false</ns1:isTrusted>"),
    (
        None,
        "<ns1:customAttributes><ns1:attribute><ns1:attributeName>region</ns1:attributeName>"
        "<ns1:stringValue>EU</ns1:stringValue></ns1:attribute></ns1:customAttributes>",
    ),
    (
        "maintenanceLineItems",
        _maintenance("ACT-1-M", "SIMF-MNT-1Y") + _maintenance("ACT-1-M2", "SIMF-MNT-2Y"),
    ),
    (None, "<ns1:FNPTimeZoneValue>UTC</ns1:FNPTimeZoneValue>"),
    ("createdOnDateTime", "<ns1:createdOnDateTime>2026-01-01T08:00:00.000Z</ns1:createdOnDateTime>"),
    ("lastModifiedDateTime", "<ns1:lastModifiedDateTime>2026-03-02T10:20:30.456Z</ns1:lastModifiedDateTime>"),
    (None, "<ns1:createdBy>admin</ns1:createdBy>"),
    (None, "<ns1:lastModifiedBy>admin</ns1:lastModifiedBy>"),
]

MAINTENANCE = [
    MaintenanceLineItem(
        activation_id=activation,
        product_name="SimFlow Maintenance",
        product_version="1.0",
        part_number=part,
        order_id="SO-7",
        order_line_number="2",
        start_date=date(2026, 1, 1),
        expiration_date=date(2026, 12, 31),
        is_permanent=False,
        state="DEPLOYED",
        parent_activation_id="ACT-1",
    )
    for activation, part in (("ACT-1-M", "SIMF-MNT-1Y"), ("ACT-1-M2", "SIMF-MNT-2Y"))
]

# the typed fields each element sets, and their values when it is present
FIELDS = {
    "activationId": {"activation_id": "ACT-1"},
    "description": {"description": "Two seats"},
    "state": {"state": "DEPLOYED"},
    "orderId": {"order_id": "SO-7"},
    "orderLineNumber": {"order_line_number": "1"},
    "entitlementId": {"entitlement_id": "ENT-7"},
    "soldTo": {"sold_to": "ACME-001"},
    "soldToDisplayName": {"sold_to_name": "ACME Corp"},
    "entitlementState": {"entitlement_state": "DEPLOYED"},
    "product": {"product_name": "SimFlow Analyzer", "product_version": "5.2"},
    "partNumber": {"part_number": "SIMF-LIC"},
    "lineItemSupportAction": {"support_action": "RENEWAL"},
    "parentLineItem": {"parent_activation_id": "ACT-0"},
    "startDate": {"start_date": date(2026, 1, 1)},
    "isPermanent": {"is_permanent": False},
    "expirationDate": {"expiration_date": date(2027, 1, 1)},
    "numberOfCopies": {"number_of_copies": 5},
    "fulfilledAmount": {"fulfilled_amount": 2},
    "numberOfRemainingCopies": {"remaining_copies": 3},
    "maintenanceLineItems": {"maintenance": MAINTENANCE},
    "createdOnDateTime": {"created": datetime(2026, 1, 1, 8, 0, tzinfo=UTC)},
    "lastModifiedDateTime": {"last_modified": datetime(2026, 3, 2, 10, 20, 30, 456000, tzinfo=UTC)},
}


def _answer(elements):
    items = "".join(xml for _, xml in elements)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENV}">'
        f'<soapenv:Body><ns1:searchEntitlementLineItemPropertiesResponse xmlns:ns1="{NS_ENTITLEMENTS}">'
        "<ns1:statusInfo><ns1:status>SUCCESS</ns1:status></ns1:statusInfo>"
        f"<ns1:entitlementLineItem>{items}</ns1:entitlementLineItem>"
        "</ns1:searchEntitlementLineItemPropertiesResponse></soapenv:Body></soapenv:Envelope>"
    ).encode()


def _parse(message):
    body = etree.fromstring(message).find(f"{{{SOAP_ENV}}}Body")[0]
    [line] = [_line_item(el) for el in body if el.tag == LINE_ITEM_TAG]
    return line


def _expected(present):
    # what LineItem holds when nothing is read: the typed reading starts from an empty ID
    values = {"activation_id": ""}
    for name in present:
        if name is not None:
            values.update(FIELDS[name])
    return LineItem(**values)


def test_every_element_present(xsd):
    message = _answer(ELEMENTS)
    assert xsd.validate(message) == []
    line = _parse(message)
    assert line == _expected(name for name, _ in ELEMENTS)
    # spelled out, so that a reading that sets nothing cannot pass by comparing defaults
    assert (line.activation_id, line.entitlement_id, line.sold_to, line.part_number) == (
        "ACT-1",
        "ENT-7",
        "ACME-001",
        "SIMF-LIC",
    )
    assert (line.number_of_copies, line.fulfilled_amount, line.remaining_copies) == (5, 2, 3)
    assert line.last_modified == datetime(2026, 3, 2, 10, 20, 30, 456000, tzinfo=UTC)
    assert line.last_modified.tzinfo is UTC
    assert [m.activation_id for m in line.maintenance] == ["ACT-1-M", "ACT-1-M2"]


@pytest.mark.parametrize("absent", [name for name, _ in ELEMENTS if name not in (None, "activationId")])
def test_each_optional_element_absent(xsd, absent):
    """Without one element its field keeps its default; every other field is still read."""
    kept = [(name, xml) for name, xml in ELEMENTS if name != absent]
    message = _answer(kept)
    assert xsd.validate(message) == []
    line = _parse(message)
    assert line == _expected(name for name, _ in kept)
    default = LineItem(activation_id="")
    for attr in FIELDS[absent]:
        assert getattr(line, attr) == getattr(default, attr)


def test_only_what_the_record_holds():
    """An answer of just the activation ID: every other field at its default."""
    line = _parse(_answer(ELEMENTS[:1]))
    assert line == LineItem(activation_id="ACT-1")


def test_maintenance_that_names_its_parent_keeps_it():
    """Nested maintenance takes its line as parent unless it names its own."""
    maintenance_first = [
        ("maintenanceLineItems", _maintenance("ACT-1-M", "SIMF-MNT-1Y", parent="ACT-X")),
        *ELEMENTS[:1],
    ]
    line = _parse(_answer(maintenance_first))
    assert line.activation_id == "ACT-1"
    assert [m.parent_activation_id for m in line.maintenance] == ["ACT-X"]


@pytest.mark.parametrize(
    "element, value, error",
    [
        ("numberOfCopies", "many", "invalid literal for int"),
        ("startDate", "01/02/2026", "Invalid isoformat string"),
        ("lastModifiedDateTime", "2026-13-02T10:20:30.000Z", "month must be in 1..12"),
        ("lastModifiedDateTime", "yesterday", "not an xsd:dateTime"),
    ],
)
def test_a_malformed_value_is_refused(element, value, error):
    elements = [
        (name, f"<ns1:{element}>{value}</ns1:{element}>" if name == element else xml)
        for name, xml in ELEMENTS
    ]
    with pytest.raises(ValueError, match=error):
        _parse(_answer(elements))
