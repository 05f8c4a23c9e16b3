"""What host_facts and firmware_select find on an amd64 and an arm64 lab host."""

import pytest

testinfra_hosts = ["ansible://all"]

EXPECTED = {
    "pc-amd64": {"machine": "x86_64", "dpkg": "amd64", "firmware_dir": "/usr/share/OVMF/"},
    "pc-arm64": {"machine": "aarch64", "dpkg": "arm64", "firmware_dir": "/usr/share/AAVMF/"},
}
MACHINE_TYPE = {"x86_64": "q35", "aarch64": "virt"}
X86_VENDORS = ("GenuineIntel", "AuthenticAMD", "Intel", "AMD")


@pytest.fixture
def expected(host):
    return EXPECTED[host.backend.get_hostname()]


@pytest.fixture(scope="module")
def dozen_host(host):
    # Once per host: each host.ansible() is a new `ansible` process, which
    # starts Mitogen's interpreter on the host again: about 10 s on the arm64
    # lab host, 3 s on amd64.
    result = host.ansible("dozencloud.cloud.host_facts", check=True)
    return result["ansible_facts"]["dozen_host"]


def test_uname_is_the_host_architecture(host, expected):
    assert host.check_output("uname -m") == expected["machine"]


def test_facts_name_the_architecture(dozen_host, expected):
    assert dozen_host["arch"]["canonical"] == expected["machine"]
    assert dozen_host["arch"]["dpkg"] == expected["dpkg"]
    assert dozen_host["arch"]["known"] is True


def test_emulation_is_reported_without_the_x86_cpu(dozen_host, expected):
    cpu = dozen_host["cpu"]
    if expected["machine"] == "aarch64":
        # Lab arm64 hosts run under qemu-user on an x86_64 kernel.
        assert dozen_host["emulated"] is True
        assert dozen_host["emulator"] == "qemu-user"
        assert dozen_host["virt"]["kvm_usable"] is False
        assert cpu["vendor"] == "unknown (emulated)"
        named = " ".join(str(cpu[key]) for key in ("vendor", "core", "model_name"))
        assert not any(vendor in named for vendor in X86_VENDORS), cpu
        assert cpu["features_source"] == "hwcap"
        assert "asimd" in cpu["features"]
    else:
        assert dozen_host["emulated"] is False
        assert cpu["vendor"] in ("Intel", "AMD")


def test_debian_firmware_descriptors_are_found(host, dozen_host, expected):
    descriptors = dozen_host["firmware"]
    assert descriptors, dozen_host["firmware_errors"]
    assert dozen_host["firmware_errors"] == []
    paths = [d["path"] for d in descriptors]
    assert all(path.startswith("/usr/share/qemu/firmware/") for path in paths)
    ours = [d for d in descriptors if d["executable"].startswith(expected["firmware_dir"])]
    assert ours, paths
    for descriptor in ours:
        # missing_files must be exactly what the host lacks. On Debian 12 arm64,
        # 50-edk2-aarch64-secure.json names AAVMF_CODE.secboot.fd, which no package ships.
        files = [descriptor["executable"], descriptor["nvram_template"]]
        lacking = [f for f in files if f and not host.file(f).exists]
        assert descriptor["missing_files"] == lacking, descriptor
    assert any(not d["missing_files"] for d in ours), ours


def test_firmware_select_finds_the_host_firmware(host, dozen_host, expected):
    arch = dozen_host["arch"]["canonical"]
    result = host.ansible(
        "dozencloud.cloud.firmware_select",
        f"architecture={arch} machine={MACHINE_TYPE[arch]} features_excluded=secure-boot",
        check=True,
    )
    assert not result.get("failed"), result
    assert result["loader"].startswith(expected["firmware_dir"])
    assert host.file(result["loader"]).is_file
    assert host.file(result["nvram_template"]).is_file
    assert result["mode"] == "split"
