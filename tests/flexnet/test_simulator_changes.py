"""The admin API's changes behind the SOAP API's back: deletions and edits as a FlexNet
administrator makes them, seen by the queries exactly as they would be on a real site."""

import pytest

from flexnet_simulator.data import DEMO_ENTITLEMENTS


def _post(sim, path, payload):
    return sim.admin.post(f"{sim.url}/admin/{path}", json=payload, timeout=5)


def test_deleting_an_entitlement_takes_its_items(sim, client):
    lines_before = {li.activation_id for li in client.iter_line_items()}
    response = _post(sim, "delete", {"kind": "entitlements", "keys": ["ENT-NW-2001"]})
    assert response.status_code == 200, response.text
    assert client.get_entitlement("ENT-NW-2001") is None
    lines = {li.activation_id for li in client.iter_line_items()}
    assert lines_before - lines == {"ENT-NW-2001-L1", "ENT-NW-2001-L2"}
    counts = sim.stats()["counts"]
    assert counts["entitlements"] == len(DEMO_ENTITLEMENTS) - 1
    assert client.count_line_items(sold_to="NW-0042") == 1


def test_deleting_a_line_takes_its_maintenance_and_touches_the_entitlement(sim, client):
    before = client.get_entitlement("ENT-ACME-1001")
    [line] = client.iter_line_items(activation_id="ENT-ACME-1001-L1")
    assert line.maintenance
    assert _post(sim, "delete", {"kind": "line_items", "keys": ["ENT-ACME-1001-L1"]}).status_code == 200
    after = client.get_entitlement("ENT-ACME-1001")
    assert [li.activation_id for li in after.line_items] == ["ENT-ACME-1001-L2"]
    assert after.maintenance_line_items == []
    assert after.last_modified > before.last_modified


def test_a_membership_and_a_user_can_be_removed(sim, client):
    assert _post(
        sim, "delete", {"kind": "memberships", "keys": [["dev.patel@northwind.example.com", "NW-0042"]]}
    ).ok
    [dev] = client.iter_users(user_name="dev.patel@northwind.example.com")
    assert dev.accounts == []
    assert _post(sim, "delete", {"kind": "users", "keys": ["hank@globex.example.com"]}).ok
    assert list(client.iter_users(user_name="hank@globex.example.com")) == []
    # a pair that does not exist is refused and changes nothing
    response = _post(
        sim, "delete", {"kind": "memberships", "keys": [["grace@globex.example.com", "NW-0042"]]}
    )
    assert response.status_code == 400
    assert "grace@globex.example.com is not a user of NW-0042" in response.json()["error"]


def test_a_user_without_a_user_name(sim, client, recorder, xsd):
    """A site may keep no user name for a user: its answers omit userName; one such user at a
    time in the simulator."""
    keys = ["chen.li@acme.example.com"]
    assert _post(sim, "update", {"kind": "users", "keys": keys, "values": {"user_name": ""}}).ok
    [chen] = client.iter_users(email="chen.li@acme.example.com")
    assert (chen.user_name, chen.email, [a.account_id for a in chen.accounts]) == (
        None,
        "chen.li@acme.example.com",
        ["ACME-001"],
    )
    assert list(client.iter_users(user_name="chen.li@acme.example.com")) == []
    response = _post(
        sim, "update", {"kind": "users", "keys": ["bob.nguyen@acme.example.com"], "values": {"user_name": ""}}
    )
    assert response.status_code == 400
    assert "one user without a user name at a time" in response.json()["error"]
    response = _post(
        sim,
        "update",
        {"kind": "users", "keys": ["bob.nguyen@acme.example.com"], "values": {"user_name": "bob"}},
    )
    assert response.status_code == 400
    recorder.assert_valid(xsd)


def test_products_and_accounts_in_use_cannot_be_deleted(sim, client):
    response = _post(sim, "delete", {"kind": "products", "keys": ["CADS-PRO-LIC"]})
    assert response.status_code == 400
    assert "still on entitlements" in response.json()["error"]
    response = _post(sim, "delete", {"kind": "accounts", "keys": ["ACME-001"]})
    assert response.status_code == 400
    assert _post(sim, "delete", {"kind": "products", "keys": ["SIMF-MEDIA-USB"]}).ok
    assert client.count_products(part_number="SIMF-MEDIA-USB") == 0
    assert _post(sim, "delete", {"kind": "accounts", "keys": ["RSL-310"]}).status_code == 400  # Ruud
    assert _post(sim, "delete", {"kind": "users", "keys": ["ruud@redstone.example.com"]}).ok
    assert _post(sim, "delete", {"kind": "accounts", "keys": ["RSL-310"]}).ok
    assert list(client.iter_accounts(account_id="RSL-310")) == []


def test_updates_stamp_the_record_only(sim, client):
    [line_before] = client.iter_line_items(activation_id="ENT-GLX-3001-L1")
    response = _post(
        sim, "update", {"kind": "entitlements", "keys": ["ENT-GLX-3001"], "values": {"sold_to": "INI-220"}}
    )
    assert response.status_code == 200, response.text
    entitlement = client.get_entitlement("ENT-GLX-3001")
    assert entitlement.sold_to == "INI-220"
    [line] = client.iter_line_items(activation_id="ENT-GLX-3001-L1")
    assert line.sold_to == "INI-220"
    assert line.last_modified == line_before.last_modified  # a transfer changes the entitlement only
    assert _post(sim, "update", {"kind": "products", "keys": ["DVS-HA"], "values": {"state": "OBSOLETE"}}).ok
    [product] = client.iter_products(part_number="DVS-HA")
    assert product.state == "OBSOLETE"
    assert _post(
        sim, "update", {"kind": "line_items", "keys": ["ENT-GLX-3001-L2"], "values": {"state": "INACTIVE"}}
    ).ok
    [line] = client.iter_line_items(activation_id="ENT-GLX-3001-L2")
    assert (line.state, line.entitlement_state) == ("INACTIVE", "DEPLOYED")


def test_a_line_transferred_keeps_its_activation_id_maintenance_and_place(sim, client):
    order = [li.activation_id for li in client.iter_line_items()]
    [before] = client.iter_line_items(activation_id="ENT-NW-2001-L1")
    assert before.maintenance
    response = _post(sim, "transfer", {"keys": ["ENT-NW-2001-L1"], "entitlement_id": "ENT-NW-2002"})
    assert response.status_code == 200, response.text
    assert response.json()["transferred"] == ["ENT-NW-2001-L1"]
    [line] = client.iter_line_items(activation_id="ENT-NW-2001-L1")
    assert (line.entitlement_id, line.sold_to) == ("ENT-NW-2002", "NW-0042")
    assert [m.activation_id for m in line.maintenance] == [m.activation_id for m in before.maintenance]
    assert line.last_modified > before.last_modified
    assert [li.activation_id for li in client.get_entitlement("ENT-NW-2001").line_items] == ["ENT-NW-2001-L2"]
    assert [li.activation_id for li in client.iter_line_items()] == order


def test_a_user_without_user_name_is_changed_by_its_email(sim, client):
    key = "chen.li@acme.example.com"
    assert _post(sim, "update", {"kind": "users", "keys": [key], "values": {"user_name": ""}}).ok
    [before] = client.iter_users(email=key)
    response = _post(
        sim, "update", {"kind": "users", "keys": [key], "values": {"email": "chen@new.example.com"}}
    )
    assert response.status_code == 200, response.text
    [user] = client.iter_users(email="chen@new.example.com")
    assert (user.user_name, user.unique_id) == (None, before.unique_id)
    assert list(client.iter_users(email=key)) == []


@pytest.mark.parametrize(
    ("path", "payload", "message"),
    [
        ("delete", {"kind": "features", "keys": ["X"]}, "cannot delete 'features'"),
        ("delete", {"kind": "line_items", "keys": []}, "non-empty list"),
        ("delete", {"kind": "line_items", "keys": ["NOPE"]}, "no line_items NOPE"),
        (
            "update",
            {"kind": "products", "keys": ["DVS-HA"], "values": {"state": "GONE"}},
            "state must be one of",
        ),
        ("update", {"kind": "products", "keys": ["DVS-HA"], "values": {"name": "x"}}, "cannot set 'name'"),
        (
            "update",
            {"kind": "entitlements", "keys": ["ENT-GLX-3001"], "values": {"sold_to": "NOPE"}},
            "no account",
        ),
        (
            "update",
            {"kind": "line_items", "keys": ["NOPE"], "values": {"state": "INACTIVE"}},
            "no line_items NOPE",
        ),
        ("transfer", {"keys": ["ENT-NW-2001-L1"], "entitlement_id": "NOPE"}, "no entitlement NOPE"),
        ("transfer", {"keys": ["NOPE"], "entitlement_id": "ENT-NW-2002"}, "no line_items NOPE"),
        ("transfer", {"keys": [], "entitlement_id": "ENT-NW-2002"}, "non-empty list"),
    ],
)
def test_bad_changes_are_refused_clearly(sim, path, payload, message):
    response = _post(sim, path, payload)
    assert response.status_code == 400
    assert message in response.json()["error"]
