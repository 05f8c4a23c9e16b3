"""tempest.conf from a cloud's capabilities, and the test lists with their reasons."""

import json
import re
from pathlib import Path

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils import tempest as t

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "tempest"


@pytest.fixture
def capabilities():
    """What cloud_capabilities returned on the aio lab (see the fixtures' PROVENANCE.md)."""
    return json.loads((FIXTURES / "aio-zed-capabilities.json").read_text())


@pytest.fixture
def settings():
    return {
        "auth": {
            "auth_url": "http://198.18.0.10:5000/v3",
            "username": "admin",
            "project_name": "admin",
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region": "RegionOne",
        "interface": "public",
        "image_architecture": "aarch64",
        "image_ref": "img-1",
        "image_file": "/cache/dozencloud-test-aarch64.raw",
        "image_disk_format": "raw",
        "image_properties": {
            "hw_architecture": "aarch64",
            "hw_firmware_type": "uefi",
            "hw_cdrom_bus": "scsi",
            "hw_scsi_model": "virtio-scsi",
        },
        "flavor_ref": "f-1",
        "flavor_ref_alt": "f-2",
        "scheduler_filters": ["ComputeFilter", "ImagePropertiesFilter"],
        "consoles": ["serial"],
        "build_timeout": 600,
        "project_network_cidr": "10.100.0.0/16",
        "public_network_id": "",
        "log_dir": "/ws/logs",
        "lock_path": "/ws/lock",
    }


def test_the_lab_cloud_as_tempest_sees_it(capabilities, settings):
    conf = t.tempest_config(capabilities, settings)
    assert conf["compute"]["image_ref"] == conf["compute"]["image_ref_alt"] == "img-1"
    assert (conf["compute"]["flavor_ref"], conf["compute"]["flavor_ref_alt"]) == ("f-1", "f-2")
    # One arm64 compute: nothing to move a server to.
    assert conf["compute"]["min_compute_nodes"] == 1
    features = conf["compute-feature-enabled"]
    assert features["resize"] is features["cold_migration"] is features["live_migration"] is False
    assert features["serial_console"] is True and features["vnc_console"] is False
    assert features["config_drive"] is True
    assert features["scheduler_enabled_filters"] == ["ComputeFilter", "ImagePropertiesFilter"]
    # Microversions as nova 26 and placement 8 (Zed) report them.
    assert conf["compute"]["max_microversion"] == "2.93"
    assert conf["placement"]["max_microversion"] == "1.39"
    assert conf["service_available"] == {
        "nova": True,
        "neutron": True,
        "glance": True,
        "cinder": False,
        "swift": False,
        "heat": False,
        "horizon": False,
    }
    extensions = conf["network-feature-enabled"]["api_extensions"]
    assert "port-security" in extensions and "router" in extensions
    # Listed by neutron, but no default external network to allocate from.
    assert "auto-allocated-topology" in capabilities["network_extensions"]
    assert "auto-allocated-topology" not in extensions
    assert conf["network-feature-enabled"]["floating_ips"] is False
    assert conf["network-feature-enabled"]["port_security"] is True
    assert conf["image-feature-enabled"]["import_image"] is True
    assert conf["auth"]["tempest_roles"] == ["member"]
    assert conf["auth"]["admin_password"] is None
    assert conf["network"]["public_network_id"] is None
    assert conf["scenario"]["img_properties"] == (
        "hw_architecture:aarch64,hw_cdrom_bus:scsi,hw_firmware_type:uefi,hw_scsi_model:virtio-scsi"
    )
    assert conf["validation"]["run_validation"] is False


def test_two_computes_of_the_architecture_can_move_servers(capabilities, settings):
    second = dict(capabilities["hypervisors"][0], name="cmp02", host="cmp02")
    capabilities["hypervisors"].append(second)
    features = t.tempest_config(capabilities, settings)["compute-feature-enabled"]
    assert features["resize"] is features["cold_migration"] is features["live_migration"] is True


def test_a_compute_that_is_down_or_of_another_architecture_does_not_count(capabilities, settings):
    base = capabilities["hypervisors"][0]
    capabilities["hypervisors"] += [
        dict(base, name="cmp02", state="down"),
        dict(base, name="cmp03", status="disabled"),
        dict(base, name="cmp04", architecture="x86_64"),
    ]
    conf = t.tempest_config(capabilities, settings)
    assert conf["compute"]["min_compute_nodes"] == 1
    assert conf["compute-feature-enabled"]["resize"] is False


def test_no_compute_of_the_image_architecture_is_refused(capabilities, settings):
    settings["image_architecture"] = "x86_64"
    with pytest.raises(t.TempestConfigError, match="no compute of architecture x86_64 is up"):
        t.tempest_config(capabilities, settings)


def test_a_catalog_without_networking_is_refused(capabilities, settings):
    capabilities["services"] = [s for s in capabilities["services"] if s["type"] != "network"]
    with pytest.raises(t.TempestConfigError, match="no enabled network service"):
        t.tempest_config(capabilities, settings)


def test_missing_settings_are_named(capabilities, settings):
    del settings["image_ref"]
    settings["auth"].pop("auth_url")
    with pytest.raises(t.TempestConfigError, match="image_ref missing"):
        t.tempest_config(capabilities, settings)
    settings["image_ref"] = "img-1"
    with pytest.raises(t.TempestConfigError, match="auth: auth_url missing"):
        t.tempest_config(capabilities, settings)


def test_a_public_network_and_a_cinder_service(capabilities, settings):
    settings["public_network_id"] = "net-9"
    capabilities["services"].append({"type": "block-storage", "name": "cinder", "enabled": True})
    conf = t.tempest_config(capabilities, settings)
    assert conf["network"]["public_network_id"] == "net-9"
    assert "auto-allocated-topology" in conf["network-feature-enabled"]["api_extensions"]
    assert conf["network-feature-enabled"]["floating_ips"] is True
    assert conf["service_available"]["cinder"] is True


def test_image_properties_that_a_dict_option_cannot_hold(capabilities, settings):
    settings["image_properties"] = {"os_distro": "debian:12"}
    with pytest.raises(t.TempestConfigError, match="cannot hold"):
        t.tempest_config(capabilities, settings)


PROFILES = {
    "api": {
        "include": [r"^tempest\.api\.compute\.", r"\[.*\bsmoke\b.*\]"],
        "exclude": [{"regex": r"web_download", "reason": "no internet"}],
    },
    "empty": {"include": []},
}


def test_lists_join_the_profile_and_the_site():
    include, exclude = t.test_lists(
        PROFILES, "api", [r"^tempest\.api\.image\."], [{"regex": "test_x", "reason": "site"}]
    )
    assert include == [r"^tempest\.api\.compute\.", r"\[.*\bsmoke\b.*\]", r"^tempest\.api\.image\."]
    assert [e["regex"] for e in exclude] == ["web_download", "test_x"]
    text = t.exclude_file(exclude)
    assert text == "web_download  # no internet\ntest_x  # site\n"


@pytest.mark.parametrize(
    ("profile", "include", "exclude", "message"),
    [
        ("nope", [], [], "tempest_profile='nope' is not a profile; fix: use one of api, empty"),
        ("empty", [], [], "selects no tests"),
        ("api", ["("], [], "is not a regular expression"),
        ("api", ["a#b"], [], "as a comment"),
        ("api", [], [{"regex": "test_x"}], "'test_x' has no reason"),
        ("api", [], [{"regex": "test_x", "reason": "  "}], "'test_x' has no reason"),
        ("api", [], ["test_x"], "with the reason"),
        ("api", [], [{"reason": "why"}], "non-empty string"),
    ],
)
def test_lists_refuse_what_would_hide_tests(profile, include, exclude, message):
    with pytest.raises(t.TempestConfigError, match=re.escape(message)):
        t.test_lists(PROFILES, profile, include, exclude)
