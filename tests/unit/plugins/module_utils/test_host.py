"""dozen_host facts gathered from host fixtures (see each fixture's PROVENANCE.md)."""

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils import host


def gather(host_reader, name, firmware="debian12"):
    return host.gather_host_facts(host_reader(name, firmware=firmware))


def test_fixtures_cover_every_page_size(host_reader, host_names):
    assert len(host_names) >= 7
    sizes = {gather(host_reader, name)["page_size"] for name in host_names}
    assert {4096, 16384, 65536} <= sizes


@pytest.mark.parametrize(
    ("name", "canonical", "dpkg", "vendor", "core", "flavour"),
    [
        ("ampere-altra-debian12", "aarch64", "arm64", "Ampere", "Neoverse N1", "4k"),
        ("graviton2-centos7-64k", "aarch64", "arm64", "Arm", "Neoverse N1", "64k"),
        ("apple-m1-asahi-16k", "aarch64", "arm64", "Apple", "M1 Icestorm + M1 Firestorm", "16k"),
        ("raspberry-pi4-aarch64", "aarch64", "arm64", "Arm", "Cortex-A72", "4k"),
        ("raspberry-pi2-armv7l", "armv7l", "armhf", "Arm", "Cortex-A7", "4k"),
        ("epyc-7351p-x86_64", "x86_64", "amd64", "AMD", "family 23 model 1", "4k"),
    ],
)
def test_identity_of_real_hosts(host_reader, name, canonical, dpkg, vendor, core, flavour):
    facts = gather(host_reader, name)
    assert facts["arch"]["canonical"] == canonical
    assert facts["arch"]["dpkg"] == dpkg
    assert facts["cpu"]["vendor"] == vendor
    assert facts["cpu"]["core"] == core
    assert facts["kernel"]["flavour"] == flavour
    assert facts["emulated"] is False
    assert facts["cpu"]["features_source"] == "cpuinfo"


def test_altra_vendor_comes_from_smbios(host_reader):
    cpu = gather(host_reader, "ampere-altra-debian12")["cpu"]
    assert (cpu["implementer"], cpu["part"], cpu["variant"], cpu["revision"]) == (
        "0x41",
        "0xd0c",
        "0x3",
        1,
    )
    assert cpu["model_name"] == "Ampere(R) Altra(R) Processor Q00-00 CPU @ 3.0GHz"
    assert {"atomics", "asimd", "lrcpc", "ssbs"} <= set(cpu["features"])
    assert cpu["features"] == sorted(cpu["features"])


def test_same_core_without_smbios_is_arm(host_reader):
    cpu = gather(host_reader, "graviton2-centos7-64k")["cpu"]
    assert (cpu["vendor"], cpu["model_name"]) == ("Arm", None)


def test_64k_host_hugepages(host_reader):
    facts = gather(host_reader, "graviton2-centos7-64k")
    assert facts["hugepages"]["possible_kb"] == [2048, 524288, 16777216]
    assert facts["kernel"]["separate_64k_kernel"] is False


def test_16k_host_lists_fewer_sizes_than_possible(host_reader):
    facts = gather(host_reader, "apple-m1-asahi-16k")
    assert facts["hugepages"] == {
        "available_kb": [2048, 1048576],
        "possible_kb": [2048, 32768, 1048576],
    }
    assert facts["kernel"]["release_page_suffix"] == "16k"
    assert facts["cpu"]["count"] == 8


def test_apple_has_no_gic_and_no_readable_mode(host_reader):
    virt = gather(host_reader, "apple-m1-asahi-16k")["virt"]
    assert virt["gic_version"] is None
    assert virt["kvm_mode"] is None


def test_armv7l_board(host_reader):
    facts = gather(host_reader, "raspberry-pi2-armv7l")
    assert facts["arch"]["oci"] == "arm"
    assert facts["arch"]["oci_variant"] == "v7"
    assert facts["arch"]["rpm"] == "armv7hl"
    assert facts["cpu"]["model_name"] == "ARMv7 Processor rev 5 (v7l)"
    assert facts["hugepages"]["possible_kb"] == [2048]
    assert facts["virt"]["aarch32_el1"] is None
    assert facts["cpu"]["count"] == 4


def test_x86_server(host_reader):
    facts = gather(host_reader, "epyc-7351p-x86_64")
    assert facts["cpu"]["implementer"] is None
    assert {"svm", "npt", "pdpe1gb"} <= set(facts["cpu"]["features"])
    assert facts["hugepages"]["possible_kb"] == [2048, 1048576]
    assert facts["virt"]["kvm_mode"] is None and facts["virt"]["gic_version"] is None


def test_emulated_aarch64_never_reports_the_x86_cpu(host_reader):
    facts = gather(host_reader, "qemu-user-aarch64-on-x86_64")
    cpu = facts["cpu"]
    assert facts["emulated"] is True
    assert facts["emulator"] == "qemu-user"
    assert (
        "uname reports aarch64 but /proc/cpuinfo describes an x86 CPU"
        in (facts["emulation_evidence"])
    )
    assert "/usr/libexec/qemu-binfmt/aarch64-binfmt-P" in facts["emulation_evidence"]
    assert cpu["vendor"] == cpu["core"] == "unknown (emulated)"
    assert cpu["model_name"] is None
    assert cpu["features_source"] == "hwcap"
    assert {"fp", "asimd", "atomics", "sve", "sve2"} <= set(cpu["features"])
    assert not {"sse2", "avx2", "avx512f"} & set(cpu["features"])
    assert cpu["count"] == 2


def test_emulated_host_ignores_the_underlying_sysfs_and_kvm(host_reader):
    facts = gather(host_reader, "qemu-user-aarch64-on-x86_64")
    assert facts["hugepages"]["available_kb"] == []
    assert facts["hugepages"]["possible_kb"] == [64, 2048, 32768, 1048576]
    virt = facts["virt"]
    assert virt["kvm_present"] is True
    assert virt["kvm_usable"] is False
    assert "emulated in user mode" in virt["kvm_reason"]
    assert virt["gic_version"] is None and virt["aarch32_el1"] is None


def test_emulated_host_is_not_probed(host_reader):
    reader = host_reader("qemu-user-aarch64-on-x86_64")
    host.gather_host_facts(reader)
    assert reader.probes == []


def test_aarch64_probe_asks_for_el1_32bit(host_reader):
    reader = host_reader("ampere-altra-debian12")
    host.gather_host_facts(reader)
    assert reader.probes == [True]


def test_firmware_descriptors_in_facts(host_reader, tmp_path):
    etc = tmp_path / "etc/qemu/firmware"
    etc.mkdir(parents=True)
    (etc / "60-edk2-arm.json").write_text("")
    (etc / "70-broken.json").write_text("{")
    facts = host.gather_host_facts(
        host_reader("raspberry-pi2-armv7l", firmware="debian12", extra_roots=[tmp_path])
    )
    names = [d["name"] for d in facts["firmware"]]
    assert names[0] == "40-edk2-aarch64-secure-enrolled.json"
    assert "60-edk2-arm.json" not in names
    assert facts["firmware_errors"][0]["path"] == "/etc/qemu/firmware/70-broken.json"


def test_no_firmware_directories(host_reader):
    facts = gather(host_reader, "epyc-7351p-x86_64", firmware=None)
    assert facts["firmware"] == [] and facts["firmware_errors"] == []


def test_unknown_machine_is_reported_not_fatal(host_reader, monkeypatch):
    reader = host_reader("epyc-7351p-x86_64")
    monkeypatch.setattr(reader, "uname", lambda: ("riscv64", "6.1.0-riscv64"))
    facts = host.gather_host_facts(reader)
    assert facts["arch"]["known"] is False
    assert facts["arch"]["canonical"] == "riscv64"
    assert facts["hugepages"]["possible_kb"] == []
    assert facts["emulated"] is False


def test_container_marker(host_reader, tmp_path):
    (tmp_path / "run/systemd").mkdir(parents=True)
    (tmp_path / "run/systemd/container").write_text("systemd-nspawn\n")
    facts = host.gather_host_facts(host_reader("raspberry-pi4-aarch64", extra_roots=[tmp_path]))
    assert facts["virt"]["container"] == "systemd-nspawn"


def test_arm_without_cpuinfo_features_falls_back_to_hwcap(host_reader, monkeypatch):
    reader = host_reader("raspberry-pi4-aarch64")
    monkeypatch.setattr(reader, "read_text", lambda path: None)
    monkeypatch.setattr(reader, "hwcaps", lambda: (0b11, 0))
    cpu = host.gather_host_facts(reader)["cpu"]
    assert (cpu["features"], cpu["features_source"]) == (["asimd", "fp"], "hwcap")


# Release strings from Red Hat's kernel tooling tests (CKI, kdump-utils), Ubuntu and
# Fedora Asahi package names.
@pytest.mark.parametrize(
    ("release", "suffix", "separate"),
    [
        ("5.14.0-243.1820_756592390.el9.aarch64+64k", "64k", True),
        ("5.14.0-327.el9.aarch64+64k-debug", "64k", True),
        ("5.14.0-354.el9.aarch64+rt-64k", "64k", True),
        ("6.8.0-1012-generic-64k", "64k", True),
        ("6.11.3-400.asahi.fc40.aarch64+16k", "16k", False),
        ("5.14.0-256.el9.aarch64", None, False),
        (None, None, False),
    ],
)
def test_kernel_release_suffix(release, suffix, separate):
    facts = host.kernel_facts(release, 65536)
    assert facts["release_page_suffix"] == suffix
    assert facts["separate_64k_kernel"] is separate
    assert facts["flavour"] == "64k"


def test_unusual_page_size_flavour():
    assert host.kernel_facts("x", 8192)["flavour"] == "8k"


# Rows of /proc/interrupts published with real hosts: a Rockchip board under
# FriendlyWrt (EL2 timer), a Zynq MP (EL1 physical timer), a Cortex-A55 board
# booted without EL2 (virtual timer) and a Keystone Xen dom0 (GIC-0 naming).
VHE_ROW = " 13:  6197  4234  4821  4771     GICv3  26 Level     arch_timer\n"
NVHE_ROW = " 11:  5820  5482 14979  6981     GICv2  30 Level     arch_timer\n"
VIRT_ROW = " 11:   104   191   429    62    GICv3  27 Level     arch_timer\n"
GIC0_ROW = " 18: 10380     GIC-0  27 Level     arch_timer\n"


@pytest.mark.parametrize(
    ("cmdline", "interrupts", "usable", "mode", "source"),
    [
        ("root=/dev/sda1 kvm-arm.mode=protected", VHE_ROW, True, "protected", "command line"),
        ("kvm-arm.mode=nested", None, False, "nested", "kvm-arm.mode=nested"),
        ("kvm-arm.mode=nvhe", VHE_ROW, True, "nvhe", "command line"),
        ("kvm-arm.mode=none", VHE_ROW, True, None, "disables KVM"),
        ("", VHE_ROW, True, "vhe", "EL2 timer (INTID 26)"),
        ("", NVHE_ROW, True, "nvhe", "EL1 physical timer (INTID 30)"),
        ("", VIRT_ROW, True, None, "virtual timer (INTID 27)"),
        ("", VHE_ROW, False, None, "KVM is not usable"),
        ("", None, True, None, "could not be read"),
        ("", "IPI0: 1 Rescheduling interrupts\n", True, None, "no arch_timer row"),
        ("", " 35: 7755597 AIC-FIQ   0 Level     arch_timer\n", True, None, "INTID 0"),
    ],
)
def test_kvm_arm_mode(cmdline, interrupts, usable, mode, source):
    found, why = host.kvm_arm_mode(cmdline, interrupts, usable)
    assert found == mode
    assert source in why


@pytest.mark.parametrize(
    ("interrupts", "version"),
    [
        (VHE_ROW, 3),
        (NVHE_ROW, 2),
        (GIC0_ROW, 2),
        (VHE_ROW + " 40: 0 GICv4-vpe 0 Edge vcpu\n", 4),
        (" 35: 7755597 AIC-FIQ   0 Level     arch_timer\n", None),
        (None, None),
    ],
)
def test_gic_version(interrupts, version):
    assert host.gic_version(interrupts) == version


@pytest.mark.parametrize(
    ("probe", "usable", "el1", "reason"),
    [
        ({"device": False}, False, None, "/dev/kvm does not exist"),
        (
            {"device": True, "vm_created": False, "error": "open /dev/kvm: Permission denied"},
            False,
            None,
            "no VM could be created: open /dev/kvm: Permission denied",
        ),
        (
            {"device": True, "api_version": 12, "vm_created": False, "error": "KVM_CREATE_VM: x"},
            False,
            None,
            "KVM_CREATE_VM: x",
        ),
        (
            {"device": True, "api_version": 12, "vm_created": True, "el1_32bit": 1},
            True,
            True,
            "KVM_CREATE_VM succeeded (KVM API 12)",
        ),
        (
            {"device": True, "api_version": 12, "vm_created": True, "el1_32bit": 0},
            True,
            False,
            "succeeded",
        ),
        ({"device": True, "api_version": 12, "vm_created": True}, True, None, "succeeded"),
    ],
)
def test_kvm_facts_on_aarch64(probe, usable, el1, reason):
    facts = host.kvm_facts(probe, "aarch64", False, "", VHE_ROW)
    assert facts["kvm_present"] is probe["device"]
    assert facts["kvm_usable"] is usable
    assert facts["aarch32_el1"] is el1
    assert reason in facts["kvm_reason"]
    assert facts["kvm_mode"] == ("vhe" if usable else None)


def test_kvm_facts_on_x86_have_no_arm_fields():
    probe = {"device": True, "api_version": 12, "vm_created": True, "el1_32bit": 1}
    facts = host.kvm_facts(probe, "x86_64", False, "", None)
    assert facts["kvm_usable"] is True
    assert facts["kvm_mode"] is None and facts["aarch32_el1"] is None


def test_detect_emulation_of_x86_on_arm():
    # The reverse case: an x86_64 binary emulated on an ARM kernel.
    processors = [{"processor": "0", "cpu implementer": "0x41", "features": "fp"}]
    emulated, emulator, evidence = host.detect_emulation("x86_64", processors, None, None)
    assert (emulated, emulator) == (True, "qemu-user")
    assert evidence == "uname reports x86_64 but /proc/cpuinfo describes an arm CPU"


def test_detect_emulation_from_interrupts_alone():
    # QEMU versions that fake /proc/cpuinfo still show the host's interrupts.
    processors = [{"processor": "0", "cpu implementer": "0x41"}]
    interrupts = "NMI:  0  0  Non-maskable interrupts\nLOC: 1 2 Local timer interrupts\n"
    emulated, _, evidence = host.detect_emulation("aarch64", processors, interrupts, None)
    assert emulated is True
    assert evidence == "/proc/interrupts has the per-CPU rows of an x86 kernel"


def test_detect_no_emulation_without_evidence():
    assert host.detect_emulation("aarch64", [], None, None) == (
        False,
        None,
        "nothing in /proc contradicts uname (aarch64)",
    )


def test_disabled_binfmt_entry_is_not_evidence():
    processors = [{"processor": "0", "vendor_id": "GenuineIntel"}]
    _, _, evidence = host.detect_emulation("aarch64", processors, None, "disabled\n")
    assert "binfmt" not in evidence


def test_real_reader_on_this_machine():
    reader = host.HostReader()
    machine, release = reader.uname()
    assert machine and release
    assert reader.page_size() >= 4096
    assert reader.read_text("/nonexistent/dozencloud") is None
    assert reader.read_bytes("/nonexistent/dozencloud") is None
    assert reader.list_dir("/nonexistent/dozencloud") is None
    assert reader.exists("/proc/self")
    hwcap, hwcap2 = reader.hwcaps()
    assert isinstance(hwcap, int) and isinstance(hwcap2, int)
    probe = reader.kvm_probe(check_el1_32bit=False)
    assert probe["device"] or not probe["vm_created"]
    assert probe["el1_32bit"] is None
    assert probe["vm_created"] or probe["error"] or not probe["device"]


def test_firmware_files_the_host_lacks_are_named(host_reader):
    facts = gather(host_reader, "ampere-altra-debian12")
    missing = {d["name"]: d["missing_files"] for d in facts["firmware"]}
    assert missing["50-edk2-aarch64-secure.json"] == ["/usr/share/AAVMF/AAVMF_CODE.secboot.fd"]
    assert all(files == [] for name, files in missing.items() if "50-edk2-aarch64" not in name)


def test_site_descriptor_without_its_images_is_marked(host_reader, tmp_path):
    # An administrator's descriptor under /etc whose images are not installed.
    (tmp_path / "etc/qemu/firmware").mkdir(parents=True)
    (tmp_path / "etc/qemu/firmware/70-site.json").write_text(
        '{"interface-types": ["uefi"], "mapping": {"device": "flash", "executable":'
        ' {"filename": "/opt/fw/CODE.fd"}, "nvram-template": {"filename": "/opt/fw/VARS.fd"}},'
        ' "targets": [{"architecture": "aarch64", "machines": ["virt-*"]}], "features": []}'
    )
    facts = host.gather_host_facts(host_reader("ampere-altra-debian12", extra_roots=[tmp_path]))
    site = next(d for d in facts["firmware"] if d["name"] == "70-site.json")
    assert site["missing_files"] == ["/opt/fw/CODE.fd", "/opt/fw/VARS.fd"]
