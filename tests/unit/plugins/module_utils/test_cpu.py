"""CPU identification from published /proc/cpuinfo dumps and kernel tables."""

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils import cpu

# Processor 0 of published dumps (hrw/arm-socs-table: cpuinfo-data/ampere-ampereone,
# issue #86 Kunpeng 920, issue #22 ThunderX2), cut to the MIDR lines.
AMPEREONE = """processor       : 0
Features        : fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid
CPU implementer : 0xc0
CPU architecture: 8
CPU variant     : 0x0
CPU part        : 0xac3
CPU revision    : 1
"""
KUNPENG = """processor\t: 0
CPU implementer\t: 0x48
CPU architecture: 8
CPU variant\t: 0x1
CPU part\t: 0xd01
CPU revision\t: 0
"""
THUNDERX2 = """processor\t: 114
CPU implementer\t: 0x43
CPU architecture: 8
CPU variant\t: 0x1
CPU part\t: 0x0af
CPU revision\t: 1
"""


@pytest.mark.parametrize(
    ("implementer", "part", "core"),
    [
        (0x41, 0xC07, "Cortex-A7"),
        (0x41, 0xD03, "Cortex-A53"),
        (0x41, 0xD07, "Cortex-A57"),
        (0x41, 0xD08, "Cortex-A72"),
        (0x41, 0xD0B, "Cortex-A76"),
        (0x41, 0xD0C, "Neoverse N1"),
        (0x41, 0xD49, "Neoverse N2"),
        (0x41, 0xD40, "Neoverse V1"),
        (0x41, 0xD4F, "Neoverse V2"),
        (0x43, 0x0AF, "ThunderX2"),
        (0x42, 0x516, "ThunderX2 (Vulcan)"),
        (0xC0, 0xAC3, "AmpereOne"),
        (0x48, 0xD01, "Kunpeng 920 (TSV110)"),
        (0x61, 0x022, "M1 Icestorm"),
        (0x61, 0x033, "M2 Avalanche"),
    ],
)
def test_midr_table(implementer, part, core):
    assert cpu.core_name(implementer, part) == core


@pytest.mark.parametrize(
    ("text", "vendor", "core"),
    [
        (AMPEREONE, "Ampere", "AmpereOne"),
        (KUNPENG, "HiSilicon", "Kunpeng 920 (TSV110)"),
        (THUNDERX2, "Cavium", "ThunderX2"),
    ],
)
def test_identify_published_servers(text, vendor, core):
    processors, _ = cpu.parse_cpuinfo(text)
    identity = cpu.identify_arm(processors)
    assert (identity["vendor"], identity["core"]) == (vendor, core)


@pytest.mark.parametrize(
    ("implementer", "part", "vendor", "core"),
    [
        # 0x56 is in Arm's implementer list (Marvell), not in any source of the table.
        (
            "0x56",
            "0x663",
            "unknown implementer 0x56",
            "unknown core (implementer 0x56, part 0x663)",
        ),
        ("0x41", "0xfff", "Arm", "unknown core (implementer 0x41, part 0xfff)"),
        ("0x70", "0x663", "Phytium", "FTC663"),
    ],
)
def test_identity_of_known_and_unknown_parts(implementer, part, vendor, core):
    processors, _ = cpu.parse_cpuinfo(
        f"processor\t: 0\nCPU implementer\t: {implementer}\nCPU part\t: {part}\n"
    )
    identity = cpu.identify_arm(processors)
    assert (identity["vendor"], identity["core"]) == (vendor, core)


def test_every_entry_names_its_source():
    for key, (name, source) in cpu.CORES.items():
        assert name and source in cpu.SOURCES, key
        assert key[0] in cpu.IMPLEMENTER_SOURCES, key
    for name, source in cpu.IMPLEMENTER_SOURCES.values():
        assert name and source in cpu.SOURCES
    assert cpu.PARTS[(0x41, 0xD4F)] == "Neoverse V2"
    assert cpu.IMPLEMENTERS[0xC0] == "Ampere"


@pytest.mark.parametrize(
    ("implementer", "part", "core"),
    [
        # Server and board cores added from cputype.h on 2026-12-04.
        (0x41, 0xD0E, "Cortex-A76AE"),
        (0x41, 0xD42, "Cortex-A78AE"),
        (0x41, 0xD87, "Cortex-A725"),
        (0x43, 0x0A2, "ThunderX 81xx"),
        (0x43, 0x0B2, "OCTEON TX2 96xx"),
        (0x42, 0x100, "Brahma-B53"),
        (0x48, 0xD02, "HIP09"),
        (0x48, 0xD06, "HIP12"),
        (0x4E, 0x003, "Denver"),
        (0x51, 0xC00, "Falkor"),
        (0x51, 0x001, "Oryon X1"),
    ],
)
def test_added_cores(implementer, part, core):
    assert cpu.core_name(implementer, part) == core


def test_blocks_without_midr_name_no_core():
    processors, _ = cpu.parse_cpuinfo("processor\t: 0\nhart\t: 0\nisa\t: rv64imafdc\n")
    identity = cpu.identify_arm(processors)
    assert identity["core"] is None and identity["vendor"] is None


def test_platform_block_is_kept_apart():
    text = "processor\t: 0\nCPU part\t: 0xc07\n\nHardware\t: BCM2709\nRevision\t: a01041\n"
    processors, platform = cpu.parse_cpuinfo(text)
    assert len(processors) == 1
    assert platform == {"hardware": "BCM2709", "revision": "a01041"}


def test_cpuinfo_family():
    assert cpu.cpuinfo_family(cpu.parse_cpuinfo(KUNPENG)[0]) == "arm"
    assert cpu.cpuinfo_family(cpu.parse_cpuinfo("processor: 0\nflags: fpu\n")[0]) == "x86"
    assert cpu.cpuinfo_family([]) is None


def test_x86_vendor_names():
    processors, _ = cpu.parse_cpuinfo(
        "processor: 0\nvendor_id: HygonGenuine\ncpu family: 24\nmodel: 1\nflags: fpu\n"
    )
    identity = cpu.identify_x86(processors)
    assert identity["vendor"] == "Hygon"
    assert identity["core"] == "family 24 model 1"


def test_aarch64_hwcap_bits_follow_hwcap_h():
    # HWCAP_FP bit 0, HWCAP_ATOMICS bit 8, HWCAP_SVE bit 22, HWCAP_PACG bit 31;
    # HWCAP2_SVE2 bit 1, HWCAP2_MTE bit 18, HWCAP2_POE bit 63.
    hwcap = 1 << 0 | 1 << 8 | 1 << 22 | 1 << 31
    hwcap2 = 1 << 1 | 1 << 18 | 1 << 63
    assert cpu.hwcap_features("aarch64", hwcap, hwcap2) == sorted(
        ["fp", "atomics", "sve", "pacg", "sve2", "mte", "poe"]
    )


def test_arm_hwcap_bits_follow_hwcap_h():
    # HWCAP_NEON bit 12, HWCAP_LPAE bit 20, HWCAP_IDIVA bit 17; HWCAP2_AES bit 0.
    assert cpu.hwcap_features("armv7l", 1 << 12 | 1 << 17 | 1 << 20, 1) == [
        "aes",
        "idiva",
        "lpae",
        "neon",
    ]


def test_unnamed_hwcap_bits_are_reported():
    assert cpu.hwcap_features("aarch64", 1 << 60, 0) == ["hwcap_bit60"]
    assert cpu.hwcap_features("x86_64", 1, 1) == []
    assert cpu.hwcap_features("aarch64", None, None) == []


def test_smbios_type4_strings():
    raw = bytearray(0x2A)
    raw[0], raw[1], raw[0x07], raw[0x10] = 4, 0x2A, 1, 2
    raw = bytes(raw) + b"Ampere(R)\0Ampere(R) Altra(R) Processor\0\0"
    assert cpu.parse_smbios_processor(raw) == {
        "manufacturer": "Ampere(R)",
        "version": "Ampere(R) Altra(R) Processor",
    }


@pytest.mark.parametrize("raw", [None, b"", b"\x03" + bytes(0x30)])
def test_smbios_other_structures_are_ignored(raw):
    assert cpu.parse_smbios_processor(raw) is None


def test_smbios_missing_string_is_none():
    raw = bytearray(0x2A)
    raw[0], raw[1], raw[0x07], raw[0x10] = 4, 0x2A, 1, 0
    assert cpu.parse_smbios_processor(bytes(raw) + b"Acme\0\0") == {
        "manufacturer": "Acme",
        "version": None,
    }


def test_vendor_marks_are_dropped():
    assert cpu.normalise_vendor("Ampere(R)") == "Ampere"
    assert cpu.normalise_vendor("Foo(TM) Corp") == "Foo Corp"
