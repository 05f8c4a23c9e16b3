"""cloud_capabilities as Ansible runs it, against API answers recorded from the aio lab.

openstacksdk's connection is replaced by one that serves the recorded
answers (fixtures/tempest/aio-zed-raw.json). What the module returns must
be what it returned on the lab itself (aio-zed-capabilities.json).
"""

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import openstack
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dozencloud.cloud.plugins.modules import cloud_capabilities

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "tempest"
RAW = json.loads((FIXTURES / "aio-zed-raw.json").read_text())
RECORDED = json.loads((FIXTURES / "aio-zed-capabilities.json").read_text())


class Proxy(SimpleNamespace):
    pass


class Answer:
    """The recorded GET /os-hypervisors/detail, served only as the module must ask."""

    def __init__(self, url, microversion, raw):
        assert (url, microversion) == ("/os-hypervisors/detail", "2.87")
        self.raw = raw

    def raise_for_status(self):
        pass

    def json(self):
        return self.raw["hypervisors_2_87"]


def connection(raw):
    def endpoint(name):
        data = raw["endpoint_data"].get(name)
        if data is None:
            return None
        return SimpleNamespace(
            min_microversion=tuple(data["min_microversion"]) or None,
            max_microversion=tuple(data["max_microversion"]) or None,
        )

    return SimpleNamespace(
        identity=Proxy(
            services=lambda: [SimpleNamespace(**s) for s in raw["services"]],
            roles=lambda: [SimpleNamespace(name=n) for n in raw["roles"]],
        ),
        compute=Proxy(
            get_endpoint_data=lambda: endpoint("compute"),
            get=lambda url, microversion: Answer(url, microversion, raw),
        ),
        placement=Proxy(get_endpoint_data=lambda: endpoint("placement")),
        network=Proxy(extensions=lambda: [SimpleNamespace(alias=a) for a in raw["extensions"]]),
        image=Proxy(get_import_info=lambda: SimpleNamespace(import_methods=raw["import_methods"])),
    )


def run(raw, monkeypatch, capsys):
    monkeypatch.setattr(
        cloud_capabilities.CloudCapabilitiesModule,
        "openstack_cloud_from_module",
        lambda self: (openstack, connection(raw)),
    )
    with patch_module_args({}), pytest.raises(SystemExit) as exited:
        cloud_capabilities.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


def test_the_lab_cloud(monkeypatch, capsys):
    code, result = run(RAW, monkeypatch, capsys)
    assert code == 0
    assert result["changed"] is False
    # On the lab Ansible hid "admin" in the recorded roles: it equals the
    # no_log auth's username. Here no auth is given, so nothing is hidden.
    masked = ["VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" if r == "admin" else r for r in RAW["roles"]]
    assert sorted(masked) == RECORDED["roles"]
    assert result["capabilities"] == dict(RECORDED, roles=sorted(RAW["roles"]))


def test_a_cloud_without_networking_or_images(monkeypatch, capsys):
    raw = copy.deepcopy(RAW)
    raw["services"] = [s for s in raw["services"] if s["type"] not in ("network", "image")]
    code, result = run(raw, monkeypatch, capsys)
    assert code == 0
    assert result["capabilities"]["network_extensions"] == []
    assert result["capabilities"]["image_import_methods"] == []


@pytest.mark.parametrize(
    ("cpu_info", "arch"),
    [
        ({"arch": "aarch64", "model": "cortex-a57"}, "aarch64"),
        ('{"arch": "x86_64"}', "x86_64"),
        ({"arch": "arm64"}, "aarch64"),
        ({"arch": "riscv64"}, "riscv64"),
        ({}, None),
        ("not json", None),
        (None, None),
    ],
)
def test_hypervisor_architecture(cpu_info, arch):
    assert cloud_capabilities.hypervisor_architecture(cpu_info) == arch
