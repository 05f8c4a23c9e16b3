"""keystone_registration as Ansible runs it, against keystone records recorded from the aio lab.

openstacksdk's identity proxy is replaced by one that serves the recorded
records and keeps every call that would change keystone.
"""

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import openstack
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dozencloud.cloud.plugins.modules import keystone_registration

LAB = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "keystone" / "aio-zed.json").read_text()
)
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
USER = {"name": "glance", "password": "s3cret-glance", "project": "service", "roles": ["admin"]}


class Record(SimpleNamespace):
    def to_dict(self, computed=True):
        return dict(vars(self))


class FakeIdentity:
    """Serves the recorded records; a user 'glance' holds the roles in ``held``."""

    def __init__(self, records, users=(), held=(), password=USER["password"]):
        self.records = records
        self.users = {name: Record(id=f"user-{name}", name=name) for name in users}
        # What keystone holds for every existing user: a token request with it succeeds.
        self.passwords = {user.id: password for user in self.users.values()}
        self.held = set(held)
        self.calls = []
        self.token_requests = []

    def token_for(self, auth_url, user_id, password, verify):
        self.token_requests.append((auth_url, user_id))
        return self.passwords.get(user_id) == password

    def services(self):
        return [Record(**s) for s in self.records["services"]]

    def endpoints(self):
        return [Record(**e) for e in self.records["endpoints"]]

    def roles(self):
        return [Record(**r) for r in self.records["roles"]]

    def find_domain(self, name_or_id, ignore_missing=True):
        return Record(id="default", name="Default")

    def find_project(self, name, domain_id=None, ignore_missing=True):
        return Record(id=f"project-{name}", name=name, domain_id=domain_id)

    def find_user(self, name, domain_id=None):
        return self.users.get(name)

    def role_assignments_filter(self, project=None, user=None):
        return [Record(id=role_id) for role_id in self.held]

    def __getattr__(self, name):
        if name.startswith(("create_", "update_", "assign_")):

            def call(*args, **kwargs):
                self.calls.append((name, args, kwargs))
                return Record(id=f"new-{len(self.calls)}", **kwargs)

            return call
        raise AttributeError(name)


@pytest.fixture
def keystone(monkeypatch):
    state = {}

    def install(**kwargs):
        state["identity"] = FakeIdentity(copy.deepcopy(LAB), **kwargs)
        return state["identity"]

    # The admin connection's session: where the module asks for a user's token.
    session = SimpleNamespace(
        auth=SimpleNamespace(auth_url="http://198.18.0.10:5000/v3"), verify=True
    )
    monkeypatch.setattr(
        keystone_registration.KeystoneRegistrationModule,
        "openstack_cloud_from_module",
        lambda self: (openstack, SimpleNamespace(identity=state["identity"], session=session)),
    )
    monkeypatch.setattr(
        keystone_registration, "_token_for", lambda *args: state["identity"].token_for(*args)
    )
    return install


def run(capsys, check_mode=False, diff=False, **args):
    args = {"region": "RegionOne", "services": [GLANCE], **args}
    args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        keystone_registration.main()
    out = capsys.readouterr().out
    return exited.value.code, json.loads(out), out


def test_the_deployed_registration_changes_nothing(keystone, capsys):
    identity = keystone(users=["glance"], held=[LAB["ids"]["role:admin"]])
    code, result, _ = run(capsys, user=USER)
    assert code == 0
    assert result["changed"] is False
    assert result["changes"] == []
    assert result["services"] == {"glance": LAB["ids"]["glance"]}
    assert result["user_id"] == "user-glance"
    assert identity.calls == []


def test_a_new_service_is_registered_whole_and_the_password_never_returned(keystone, capsys):
    identity = keystone()
    cinder = dict(GLANCE, name="cinderv3", type="volumev3", description="Block Storage")
    user = dict(USER, name="cinder", roles=["admin", "service"])
    code, result, out = run(capsys, services=[cinder], user=user, diff=True)
    assert code == 0 and result["changed"] is True
    assert [c[0] for c in identity.calls] == [
        "create_service",
        "create_endpoint",
        "create_endpoint",
        "create_endpoint",
        "create_user",
        "assign_project_role_to_user",
        "assign_project_role_to_user",
    ]
    # The endpoints name the service just created (the fake's first new id).
    assert {c[2]["service_id"] for c in identity.calls[1:4]} == {"new-1"}
    assert identity.calls[4][2]["password"] == "s3cret-glance"
    assert identity.calls[4][2]["default_project_id"] == "project-service"
    assert result["diff"]["prepared"].startswith("+ create service cinderv3 (volumev3)\n")
    assert "s3cret-glance" not in out


def test_check_mode_reports_and_changes_nothing(keystone, capsys):
    identity = keystone(users=["glance"])
    code, result, _ = run(capsys, check_mode=True, user=dict(USER, roles=["admin", "service"]))
    assert code == 0 and result["changed"] is True
    assert result["changes"] == ["assign role admin", "assign role service"]
    assert identity.calls == []


def test_a_duplicate_service_fails_before_any_change(keystone, capsys):
    identity = keystone()
    twin = dict(next(s for s in identity.records["services"] if s["name"] == "glance"), id="twin")
    identity.records["services"].append(twin)
    code, result, _ = run(capsys, services=[GLANCE, dict(GLANCE, name="new", type="new")])
    assert code == 1
    assert "2 services named 'glance'" in result["msg"]
    assert identity.calls == []


def test_a_rotated_password_is_set_again_and_never_returned(keystone, capsys):
    identity = keystone(
        users=["glance"], held=[LAB["ids"]["role:admin"]], password="the-old-password"
    )
    code, result, out = run(capsys, user=USER)
    assert code == 0 and result["changed"] is True
    assert result["changes"] == ["set the password of user glance"]
    assert identity.token_requests == [("http://198.18.0.10:5000/v3", "user-glance")]
    assert [(c[0], c[2]) for c in identity.calls] == [
        ("update_user", {"password": "s3cret-glance"})
    ]
    assert "s3cret-glance" not in out


def test_check_mode_reports_a_rotated_password_and_sets_nothing(keystone, capsys):
    identity = keystone(users=["glance"], held=[LAB["ids"]["role:admin"]], password="old")
    code, result, _ = run(capsys, check_mode=True, user=USER)
    assert code == 0 and result["changed"] is True
    assert result["changes"] == ["set the password of user glance"]
    assert identity.calls == []


def test_a_new_user_needs_no_token_request(keystone, capsys):
    identity = keystone()
    run(capsys, user=USER)
    assert identity.token_requests == []
