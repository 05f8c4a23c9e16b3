"""host_facts and firmware_select run as Ansible runs them, on host fixtures."""

import json

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dozencloud.cloud.plugins.module_utils.firmware import load_descriptors
from ansible_collections.dozencloud.cloud.plugins.modules import firmware_select, host_facts


def run(module, args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        module.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("check_mode", [False, True])
def test_host_facts(host_reader, monkeypatch, capsys, check_mode):
    monkeypatch.setattr(host_facts, "HostReader", lambda: host_reader("graviton2-centos7-64k"))
    code, result = run(host_facts, {"_ansible_check_mode": check_mode}, capsys)
    assert code == 0
    assert result["changed"] is False
    facts = result["ansible_facts"]["dozen_host"]
    assert facts["page_size"] == 65536
    assert facts["cpu"]["core"] == "Neoverse N1"


def test_host_facts_takes_no_options(capsys):
    code, result = run(host_facts, {"architecture": "aarch64"}, capsys)
    assert code == 1
    assert "Unsupported parameters" in result["msg"]


def test_firmware_select_from_given_descriptors(debian12_directories, capsys):
    descriptors, _ = load_descriptors(debian12_directories)
    code, result = run(
        firmware_select,
        {
            "architecture": "amd64",
            "machine": "pc-q35-7.2",
            "features_required": ["secure-boot"],
            "features_excluded": ["enrolled-keys"],
            "descriptors": descriptors,
            "_ansible_check_mode": True,
        },
        capsys,
    )
    assert code == 0
    assert result["changed"] is False
    assert result["loader"] == "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
    assert result["nvram_template"] == "/usr/share/OVMF/OVMF_VARS_4M.fd"
    assert result["descriptor"]["name"] == "50-edk2-x86_64-secure.json"


def test_firmware_select_reads_the_host(host_reader, monkeypatch, capsys):
    reader = host_reader("raspberry-pi2-armv7l", firmware="debian12")
    monkeypatch.setattr(firmware_select, "HostReader", lambda: reader)
    code, result = run(firmware_select, {"architecture": "armv7l", "machine": "virt"}, capsys)
    assert code == 0
    assert result["loader"] == "/usr/share/AAVMF/AAVMF32_CODE.fd"


def test_firmware_select_failure_message(host_reader, monkeypatch, capsys):
    monkeypatch.setattr(firmware_select, "HostReader", lambda: host_reader("raspberry-pi4-aarch64"))
    code, result = run(
        firmware_select,
        {"architecture": "aarch64", "machine": "virt", "os_family": "Debian"},
        capsys,
    )
    assert code == 1
    assert result["failed"] is True
    assert result["msg"] == (
        "no QEMU firmware descriptor offers uefi firmware for aarch64 machine 'virt' "
        "(no descriptors were found); install qemu-efi-aarch64 (Debian)"
    )


def test_firmware_select_rejects_unknown_interface(capsys):
    code, result = run(
        firmware_select, {"architecture": "aarch64", "machine": "virt", "interface": "efi"}, capsys
    )
    assert code == 1
    assert "interface" in result["msg"]


@pytest.mark.parametrize("module", [host_facts, firmware_select])
def test_documentation_matches_the_argument_spec(module):
    documentation = yaml.safe_load(module.DOCUMENTATION)
    yaml.safe_load(module.EXAMPLES)
    returned = yaml.safe_load(module.RETURN)
    assert documentation["attributes"]["check_mode"]["support"] == "full"
    assert isinstance(returned, dict) and returned
    options = documentation.get("options") or {}
    assert set(options) == set(module.ARGUMENT_SPEC)
    for name, spec in module.ARGUMENT_SPEC.items():
        doc = options[name]
        for key in ("type", "elements", "choices"):
            assert doc.get(key) == spec.get(key), (name, key)
        assert doc.get("required", False) == spec.get("required", False), name
        assert doc.get("default") == spec.get("default"), name


@pytest.mark.parametrize(
    ("nvram_required", "name", "loader"),
    [
        (False, "60-edk2-x86_64-amdsev.json", "/usr/share/ovmf/OVMF.amdsev.fd"),
        (True, "60-edk2-x86_64.json", "/usr/share/OVMF/OVMF_CODE_4M.fd"),
    ],
)
def test_firmware_select_nvram_required_on_a_host(
    host_reader, monkeypatch, capsys, nvram_required, name, loader
):
    # An x86_64 host with Debian unstable's ovmf, ovmf-amdsev and ovmf-inteltdx.
    reader = host_reader("epyc-7351p-x86_64", firmware="debian-sid")
    monkeypatch.setattr(firmware_select, "HostReader", lambda: reader)
    args = {
        "architecture": "x86_64",
        "machine": "q35",
        "features_excluded": ["secure-boot"],
        "nvram_required": nvram_required,
    }
    code, result = run(firmware_select, args, capsys)
    assert code == 0
    assert (result["descriptor"]["name"], result["loader"]) == (name, loader)
