"""The registration planner, on keystone records recorded from the aio lab (fixtures/keystone)."""

import copy
import json
from pathlib import Path

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils.keystone_registration import (
    RegistrationError,
    describe,
    plan_endpoints,
    plan_roles,
    plan_services,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "keystone"
LAB = json.loads((FIXTURES / "aio-zed.json").read_text())
# As the glance role registers it (roles/glance/vars/main.yml).
GLANCE = {
    "name": "glance",
    "type": "image",
    "description": "OpenStack Image service",
    "endpoints": {
        "public": "http://198.18.0.10:9292",
        "internal": "http://198.18.0.10:9292",
        "admin": "http://198.18.0.10:9292",
    },
}
REGION = "RegionOne"


def lab():
    return copy.deepcopy(LAB)


def endpoint(records, service_id, interface):
    return next(
        e
        for e in records["endpoints"]
        if e["service_id"] == service_id and e["interface"] == interface
    )


def test_a_registered_service_needs_nothing():
    records = lab()
    create, update, ids = plan_services([GLANCE], records["services"])
    assert (create, update) == ([], [])
    assert ids == {"glance": records["ids"]["glance"]}
    assert plan_endpoints([GLANCE], ids, REGION, records["endpoints"]) == ([], [])


def test_a_new_service_gets_every_endpoint():
    new = dict(GLANCE, name="cinderv3", type="volumev3", description="Block Storage")
    create, update, ids = plan_services([new], lab()["services"])
    assert create == [new] and update == [] and ids == {}
    creates, updates = plan_endpoints([new], ids, REGION, lab()["endpoints"])
    assert creates == [
        ("cinderv3", "admin", "http://198.18.0.10:9292"),
        ("cinderv3", "internal", "http://198.18.0.10:9292"),
        ("cinderv3", "public", "http://198.18.0.10:9292"),
    ]
    assert updates == []


def test_changed_description_url_and_disabled_records_are_updated():
    records = lab()
    glance_id = records["ids"]["glance"]
    for s in records["services"]:
        if s["id"] == glance_id:
            s["description"] = "old words"
    public = endpoint(records, glance_id, "public")
    public["url"] = "http://198.18.0.99:9292"
    public["is_enabled"] = False
    _create, update, ids = plan_services([GLANCE], records["services"])
    assert update == [(glance_id, {"description": "OpenStack Image service"})]
    creates, updates = plan_endpoints([GLANCE], ids, REGION, records["endpoints"])
    assert creates == []
    assert updates == [
        (public["id"], "glance", "public", {"url": "http://198.18.0.10:9292", "is_enabled": True})
    ]


def test_endpoints_of_another_region_do_not_count():
    records = lab()
    creates, _ = plan_endpoints(
        [GLANCE], {"glance": records["ids"]["glance"]}, "RegionTwo", records["endpoints"]
    )
    assert [c[1] for c in creates] == ["admin", "internal", "public"]


def test_a_service_held_twice_is_refused_with_both_ids():
    records = lab()
    twin = dict(next(s for s in records["services"] if s["name"] == "glance"), id="twin")
    with pytest.raises(RegistrationError, match=r"2 services named 'glance' of type 'image'.*twin"):
        plan_services([GLANCE], [*records["services"], twin])


def test_an_endpoint_held_twice_is_refused():
    records = lab()
    glance_id = records["ids"]["glance"]
    public = endpoint(records, glance_id, "public")
    with pytest.raises(RegistrationError, match="2 public endpoints of service 'glance'"):
        plan_endpoints(
            [GLANCE], {"glance": glance_id}, REGION, [*records["endpoints"], dict(public, id="x")]
        )


def test_an_unknown_interface_is_refused():
    bad = dict(GLANCE, endpoints={"publik": "http://x"})
    with pytest.raises(RegistrationError, match="'publik' is not one of public, internal, admin"):
        plan_endpoints([bad], {}, REGION, [])


def test_roles_missing_from_the_user_are_assigned_in_order():
    records = lab()
    assert plan_roles(["admin", "service"], records["roles"], set()) == [
        ("admin", records["ids"]["role:admin"]),
        ("service", records["ids"]["role:service"]),
    ]
    held = {records["ids"]["role:admin"]}
    assert plan_roles(["admin", "service", "admin"], records["roles"], held) == [
        ("service", records["ids"]["role:service"])
    ]


def test_a_role_keystone_lacks_is_refused():
    with pytest.raises(RegistrationError, match="no role 'operator'"):
        plan_roles(["admin", "operator"], lab()["roles"], set())


def test_describe_names_each_change():
    lines = describe(
        [GLANCE],
        [("sid", {"description": "x"})],
        [("glance", "public", "http://198.18.0.10:9292")],
        [("eid", "glance", "internal", {"url": "http://y"})],
        user_create="glance",
        roles=[("service", "rid")],
    )
    assert lines == [
        "create service glance (image)",
        "update service sid: description",
        "create endpoint glance public http://198.18.0.10:9292",
        "update endpoint glance internal (eid): url=http://y",
        "create user glance",
        "assign role service",
    ]


def test_describe_names_a_password_set_again():
    lines = describe([], [], [], [], password_update="nova")
    assert lines == ["set the password of user nova"]
