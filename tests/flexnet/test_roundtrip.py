"""Every operation round-trips between the client and the simulator, and every message
on the wire validates against the real FlexNet schemas."""

from datetime import date, timedelta

import pytest
import requests
from flexnet_client import (
    ACCOUNT_API_V1,
    BasicAuth,
    BearerAuth,
    FlexNetClient,
    NewAccount,
    NewEntitlement,
    NewLineItem,
    NewMaintenanceLineItem,
    NewUser,
    OperationFailed,
    SoapHeaderAuth,
)

from flexnet_simulator.data import DEMO_ACCOUNTS, DEMO_CATALOG, DEMO_ENTITLEMENTS, DEMO_USERS


def test_products_with_part_numbers(client, recorder, xsd):
    products = list(client.iter_products())
    expected_parts = {part for _, _, items in DEMO_CATALOG for part, *_ in items}
    assert len(products) == len(expected_parts)
    assert {p.part_id for product in products for p in product.part_numbers} == expected_parts
    media = next(p for p in products if p.part_numbers[0].part_id == "CADS-MEDIA-DVD")
    # the media kit names the ESD item it carries by its partner product ID
    assert media.attributes == {
        "ProductKind": "media_kit",
        "BaseProduct": "CAD Studio",
        "EsdItem": "CADS-2025-WIN64",
    }
    license_ = next(p for p in products if p.part_numbers[0].part_id == "CADS-PRO-LIC")
    assert "EsdItem" not in license_.attributes
    assert media.category == "Media kits"
    assert media.last_modified is not None and media.last_modified.tzinfo is not None
    only = list(client.iter_products(part_number="SIMF-CFD"))
    assert [p.name for p in only] == ["SimFlow CFD Solver"]
    recorder.assert_valid(xsd)


def test_accounts_and_users_v3(client, recorder, xsd):
    accounts = {a.account_id: a for a in client.iter_accounts()}
    assert set(accounts) == {a[0] for a in DEMO_ACCOUNTS}
    assert accounts["SSP-900"].account_type == "CHANNEL_PARTNER"
    assert accounts["NW-0042"].name == "Northwind Engineering"
    assert accounts["NW-0042"].address.country == "GB"
    partners = list(client.iter_accounts(account_type="CHANNEL_PARTNER"))
    assert {a.account_id for a in partners} == {"SSP-900", "RSL-310"}

    users = list(client.iter_users())
    assert len(users) == len(DEMO_USERS)
    carla = next(iter(client.iter_users(email="carla@northwind.example.com")))
    assert (carla.first_name, carla.last_name) == ("Carla", "Customer")
    assert carla.accounts[0].account_id == "NW-0042"
    assert carla.accounts[0].roles == ("Portal Admin",)
    assert carla.last_login is not None and carla.active
    members = list(client.iter_users(account_id="ACME-001"))
    assert sorted(u.email for u in members) == sorted(u[3] for u in DEMO_USERS if u[0] == "ACME-001")
    recorder.assert_valid(xsd)


def test_organizations_v1(sim, recorder, xsd):
    session = requests.Session()
    session.hooks["response"].append(recorder.hook)
    client = FlexNetClient(sim.url, BasicAuth("admin", "admin"), account_api=ACCOUNT_API_V1, session=session)
    orgs = {a.account_id: a for a in client.iter_accounts()}
    assert orgs["GLX-017"].name == "Globex Corporation"
    assert orgs["RSL-310"].account_type == "CHANNEL_PARTNER"
    members = list(client.iter_users(account_id="GLX-017"))
    assert {u.email for u in members} == {"grace@globex.example.com", "hank@globex.example.com"}
    assert all(u.accounts[0].account_id == "GLX-017" for u in members)
    with pytest.raises(ValueError, match="v3"):
        client.create_accounts([NewAccount("X", "X")])
    recorder.assert_valid(xsd)


def test_line_items_with_maintenance(client, recorder, xsd):
    lines = list(client.iter_line_items())
    expected = sum(len(lines) for _, _, lines in DEMO_ENTITLEMENTS)
    assert len(lines) == expected
    line = next(li for li in lines if li.activation_id == "ENT-ACME-1002-L1")
    assert (line.entitlement_id, line.sold_to, line.part_number) == ("ENT-ACME-1002", "ACME-001", "SIMF-LIC")
    assert line.number_of_copies == 3 and line.is_permanent
    assert line.product_name == "SimFlow Analyzer" and line.product_version == "5.2"
    [maint] = line.maintenance
    assert maint.part_number == "SIMF-MNT-1Y"
    assert maint.parent_activation_id == "ENT-ACME-1002-L1"
    assert maint.expiration_date == date.today() + timedelta(days=25)
    assert all(li.sold_to == "NW-0042" for li in client.iter_line_items(sold_to="NW-0042"))
    recorder.assert_valid(xsd)


def test_incremental_query_by_modification_time(client, sim):
    lines = list(client.iter_line_items())
    watermark = max(li.last_modified for li in lines)
    assert list(client.iter_line_items(modified_since=watermark)) == []
    touched = sim.admin.post(
        f"{sim.url}/admin/touch", json={"kind": "line_items", "count": 2}, timeout=5
    ).json()
    changed = list(client.iter_line_items(modified_since=watermark))
    assert sorted(li.activation_id for li in changed) == sorted(touched["keys"])


def test_create_entitlement_then_read_and_email(client, recorder, xsd, sim):
    today = date.today()
    entitlement = NewEntitlement(
        sold_to="NW-0042",
        entitlement_id="SO-TEST-0001",
        description="Web order SO-TEST-0001",
        ship_to_email="carla@northwind.example.com",
        line_items=[
            NewLineItem(
                "CADS-RENDER",
                2,
                activation_id="SO-TEST-0001-1",
                order_id="SO-TEST-0001",
                order_line_number="1",
                is_permanent=True,
            ),
            NewLineItem(
                "SIMF-LIC",
                1,
                activation_id="SO-TEST-0001-2",
                order_id="SO-TEST-0001",
                order_line_number="2",
                start_date=today,
                expiration_date=today + timedelta(days=365),
            ),
        ],
        maintenance_line_items=[
            NewMaintenanceLineItem(
                "SIMF-MNT-1Y",
                parent_activation_id="SO-TEST-0001-2",
                activation_id="SO-TEST-0001-2-M",
                start_date=today,
                expiration_date=today + timedelta(days=365),
            )
        ],
    )
    result = client.create_simple_entitlements([entitlement])
    assert result.ok
    [created] = result.created
    assert created.entitlement_id == "SO-TEST-0001"
    assert created.activation_ids == ["SO-TEST-0001-1", "SO-TEST-0001-2"]
    assert created.maintenance_activation_ids == ["SO-TEST-0001-2-M"]

    again = client.create_simple_entitlements([entitlement])  # CREATE_OR_IGNORE: adopts what exists
    assert again.ok and again.created[0].activation_ids == ["SO-TEST-0001-1", "SO-TEST-0001-2"]

    found = client.get_entitlement("SO-TEST-0001")
    assert found.sold_to == "NW-0042" and found.sold_to_name == "Northwind Engineering"
    assert [li.number_of_copies for li in found.line_items] == [2, 1]
    assert found.line_items[1].expiration_date == today + timedelta(days=365)
    assert found.maintenance_line_items[0].parent_activation_id == "SO-TEST-0001-2"
    assert client.get_entitlement("SO-NOPE") is None

    assert client.email_entitlement("SO-TEST-0001", cc=["sales@vendor.example.com"])
    [mail] = sim.outbox()
    assert mail["entitlement_id"] == "SO-TEST-0001"
    assert "carla@northwind.example.com" in mail["recipients"]
    assert mail["cc"] == ["sales@vendor.example.com"]
    assert "SO-TEST-0001-1" in mail["body"]
    recorder.assert_valid(xsd)


def test_create_entitlement_refusals_are_per_record(client, recorder, xsd):
    good = NewEntitlement(
        sold_to="ACME-001", entitlement_id="SO-OK", line_items=[NewLineItem("DVS-HA", 1, is_permanent=True)]
    )
    bad_part = NewEntitlement(
        sold_to="ACME-001",
        entitlement_id="SO-BADPART",
        line_items=[NewLineItem("NOPE", 1, is_permanent=True)],
    )
    bad_account = NewEntitlement(
        sold_to="NOBODY",
        entitlement_id="SO-BADACCT",
        line_items=[NewLineItem("DVS-HA", 1, is_permanent=True)],
    )
    result = client.create_simple_entitlements([good, bad_part, bad_account])
    assert result.status == "PARTIAL_FAILURE"
    assert [c.entitlement_id for c in result.created] == ["SO-OK"]
    assert result.created[0].activation_ids[0].startswith("SO-OK-")  # generated by FlexNet
    reasons = {f.key: f.reason for f in result.failed}
    assert set(reasons) == {"SO-BADPART", "SO-BADACCT"}
    assert "NOPE" in reasons["SO-BADPART"] and "NOBODY" in reasons["SO-BADACCT"]
    with pytest.raises(OperationFailed) as info:
        client.create_simple_entitlements([bad_part])
    assert info.value.failed[0].key == "SO-BADPART"
    assert client.get_entitlement("SO-BADPART") is None  # nothing half-created
    with pytest.raises(OperationFailed, match="does not exist"):
        client.email_entitlement("SO-NOPE")
    recorder.assert_valid(xsd)


def test_writes_are_split_into_calls_of_25(client, sim):
    accounts = [NewAccount(f"BULK-{i:03d}", f"Bulk customer {i}") for i in range(60)]
    result = client.create_accounts(accounts)
    assert result.ok and len(result.created) == 60
    assert sim.calls("createAccount") == 3
    assert sum(1 for a in client.iter_accounts() if a.account_id.startswith("BULK-")) == 60


def test_create_account_and_user(client, recorder, xsd, sim):
    result = client.create_accounts(
        [NewAccount("NEW-001", "Newco Ltd", account_type="CUSTOMER", description="from Odoo")]
    )
    assert result.created == ["NEW-001"]
    users = client.create_users(
        [NewUser("Nina", "Newton", "nina@newco.example.com", account_id="NEW-001", roles=("Portal Admin",))]
    )
    assert users.created == ["nina@newco.example.com"]
    [nina] = client.iter_users(email="nina@newco.example.com")
    assert nina.accounts[0].account_id == "NEW-001" and nina.accounts[0].roles == ("Portal Admin",)
    # FlexNet welcomes a new user who can log in, once; an adopted user or a contact is not welcomed
    [welcome] = sim.outbox(kind="welcome", user_name="nina@newco.example.com")
    assert welcome["recipients"] == ["nina@newco.example.com"] and welcome["entitlement_id"] == ""
    assert "Newco Ltd" in welcome["body"]
    again = client.create_users([NewUser("Nina", "Newton", "nina@newco.example.com", account_id="NEW-001")])
    assert again.ok
    client.create_users(
        [NewUser("Cody", "Contact", "cody@newco.example.com", account_id="NEW-001", can_login=False)]
    )
    assert [m["user_name"] for m in sim.outbox(kind="welcome")] == ["nina@newco.example.com"]
    assert not sim.outbox(kind="welcome", user_name="carla@northwind.example.com")
    duplicate = client.create_accounts([NewAccount("NEW-001", "Newco Ltd")])  # CREATE_OR_IGNORE
    assert duplicate.ok
    with pytest.raises(OperationFailed, match="does not exist"):
        client.create_users([NewUser("No", "Body", "nobody@example.com", account_id="MISSING")])
    recorder.assert_valid(xsd)


def test_authentication_service(client, recorder, xsd):
    assert client.authenticate_user("carla@northwind.example.com", "flexnet")
    assert not client.authenticate_user("carla@northwind.example.com", "wrong")
    assert not client.authenticate_user("nobody@example.com", "flexnet")
    token = client.get_secure_token("carla@northwind.example.com", timeout_seconds=60)
    assert client.validate_token(token, "dev.patel@northwind.example.com").valid is False
    status = client.validate_token(token, "carla@northwind.example.com")
    assert status.valid and status.message == "carla@northwind.example.com"
    replay = client.validate_token(token)
    assert not replay.valid and "used" in replay.message
    assert not client.validate_token("forged-token").valid
    recorder.assert_valid(xsd)


@pytest.mark.parametrize(
    "auth",
    [SoapHeaderAuth("admin", "admin"), BearerAuth("test-api-token"), BasicAuth("admin##FLEXnet", "admin")],
    ids=["soap-header", "bearer", "basic-with-domain"],
)
def test_every_auth_style(sim, auth, recorder, xsd):
    session = requests.Session()
    session.hooks["response"].append(recorder.hook)
    client = FlexNetClient(sim.url, auth, session=session)
    assert len(list(client.iter_accounts())) == len(DEMO_ACCOUNTS)
    recorder.assert_valid(xsd)  # the SOAP header does not disturb the payload


def test_paging_edges(client, sim):
    total = len(DEMO_ACCOUNTS)
    sim.admin.delete(f"{sim.url}/admin/calls", timeout=5)
    assert list(client.iter_account_pages(account_id="NO-SUCH")) == []
    assert sim.calls("getAccountsQuery") == 1
    pages = list(client.iter_account_pages(page_size=total))  # exactly one page
    assert [len(p) for p in pages] == [total]
    assert sim.calls("getAccountsQuery") == 3  # one more call finds the end
    pages = list(client.iter_account_pages(page_size=total - 1))  # one more than a page
    assert [len(p) for p in pages] == [total - 1, 1]
    ids = [a.account_id for p in pages for a in p]
    assert len(set(ids)) == total
    with pytest.raises(ValueError):
        list(client.iter_account_pages(page_size=2001))
