# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""CPU identity: /proc/cpuinfo parsing, MIDR tables, HWCAP decoding, SMBIOS.

Sources:
  * implementer and part numbers: each entry names its source (SOURCES):
    Linux arch/arm64/include/asm/cputype.h, arch/arm/include/asm/cputype.h for
    the 32-bit cores (Cortex-A7/A9/A12/A15/A17), Phytium's kernel for Phytium;
  * HWCAP bit positions: arch/arm64/include/uapi/asm/hwcap.h and
    arch/arm/include/uapi/asm/hwcap.h; feature names as /proc/cpuinfo prints
    them: hwcap_str[] in arch/arm64/kernel/cpuinfo.c and arch/arm/kernel/setup.c;
  * SMBIOS type 4 layout: DMTF SMBIOS specification (DSP0134), section 7.5.
"""

import re

# Where each entry comes from (the "source" of IMPLEMENTER_SOURCES and CORES).
SOURCES = {
    "linux": (
        "Linux arch/arm64/include/asm/cputype.h (linux-next, commit 4f91624778b2, read 2026-12-04)"
    ),
    "linux-arm": "Linux arch/arm/include/asm/cputype.h (the 32-bit cores)",
    "phytium": (
        "Phytium's kernel, arch/arm64/include/asm/cputype.h (AOSC-Tracking/phytium-linux-kernel,"
        " commit 11d047a43eb8, read 2026-12-04)"
    ),
}

# implementer -> (vendor, source).
IMPLEMENTER_SOURCES = {
    0x41: ("Arm", "linux"),
    0x42: ("Broadcom", "linux"),
    0x43: ("Cavium", "linux"),
    0x46: ("Fujitsu", "linux"),
    0x48: ("HiSilicon", "linux"),
    0x4E: ("NVIDIA", "linux"),
    0x50: ("APM", "linux"),
    0x51: ("Qualcomm", "linux"),
    0x61: ("Apple", "linux"),
    0x6D: ("Microsoft", "linux"),
    0x70: ("Phytium", "phytium"),
    0xC0: ("Ampere", "linux"),
}
IMPLEMENTERS = {key: name for key, (name, _) in IMPLEMENTER_SOURCES.items()}

# (implementer, part) -> (core name, source). Software models (AEM, Foundation) are left out.
CORES = {
    (0x41, 0xC07): ("Cortex-A7", "linux-arm"),
    (0x41, 0xC09): ("Cortex-A9", "linux-arm"),
    (0x41, 0xC0D): ("Cortex-A12", "linux-arm"),
    (0x41, 0xC0E): ("Cortex-A17", "linux-arm"),
    (0x41, 0xC0F): ("Cortex-A15", "linux-arm"),
    (0x41, 0xD03): ("Cortex-A53", "linux"),
    (0x41, 0xD04): ("Cortex-A35", "linux"),
    (0x41, 0xD05): ("Cortex-A55", "linux"),
    (0x41, 0xD07): ("Cortex-A57", "linux"),
    (0x41, 0xD08): ("Cortex-A72", "linux"),
    (0x41, 0xD09): ("Cortex-A73", "linux"),
    (0x41, 0xD0A): ("Cortex-A75", "linux"),
    (0x41, 0xD0B): ("Cortex-A76", "linux"),
    (0x41, 0xD0C): ("Neoverse N1", "linux"),
    (0x41, 0xD0D): ("Cortex-A77", "linux"),
    (0x41, 0xD0E): ("Cortex-A76AE", "linux"),
    (0x41, 0xD40): ("Neoverse V1", "linux"),
    (0x41, 0xD41): ("Cortex-A78", "linux"),
    (0x41, 0xD42): ("Cortex-A78AE", "linux"),
    (0x41, 0xD44): ("Cortex-X1", "linux"),
    (0x41, 0xD46): ("Cortex-A510", "linux"),
    (0x41, 0xD47): ("Cortex-A710", "linux"),
    (0x41, 0xD48): ("Cortex-X2", "linux"),
    (0x41, 0xD49): ("Neoverse N2", "linux"),
    (0x41, 0xD4B): ("Cortex-A78C", "linux"),
    (0x41, 0xD4C): ("Cortex-X1C", "linux"),
    (0x41, 0xD4D): ("Cortex-A715", "linux"),
    (0x41, 0xD4E): ("Cortex-X3", "linux"),
    (0x41, 0xD4F): ("Neoverse V2", "linux"),
    (0x41, 0xD80): ("Cortex-A520", "linux"),
    (0x41, 0xD81): ("Cortex-A720", "linux"),
    (0x41, 0xD82): ("Cortex-X4", "linux"),
    (0x41, 0xD84): ("Neoverse V3", "linux"),
    (0x41, 0xD85): ("Cortex-X925", "linux"),
    (0x41, 0xD87): ("Cortex-A725", "linux"),
    (0x41, 0xD8E): ("Neoverse N3", "linux"),
    (0x42, 0x100): ("Brahma-B53", "linux"),
    (0x42, 0x516): ("ThunderX2 (Vulcan)", "linux"),
    (0x43, 0x0A1): ("ThunderX", "linux"),
    (0x43, 0x0A2): ("ThunderX 81xx", "linux"),
    (0x43, 0x0A3): ("ThunderX 83xx", "linux"),
    (0x43, 0x0AF): ("ThunderX2", "linux"),
    (0x43, 0x0B1): ("OCTEON TX2 98xx", "linux"),
    (0x43, 0x0B2): ("OCTEON TX2 96xx", "linux"),
    (0x43, 0x0B3): ("OCTEON TX2 95xx", "linux"),
    (0x43, 0x0B4): ("OCTEON TX2 95xxN", "linux"),
    (0x43, 0x0B5): ("OCTEON TX2 95xxMM", "linux"),
    (0x43, 0x0B6): ("OCTEON TX2 95xxO", "linux"),
    (0x46, 0x001): ("A64FX", "linux"),
    (0x48, 0xD01): ("Kunpeng 920 (TSV110)", "linux"),
    (0x48, 0xD02): ("HIP09", "linux"),
    (0x48, 0xD06): ("HIP12", "linux"),
    (0x4E, 0x003): ("Denver", "linux"),
    (0x4E, 0x004): ("Carmel", "linux"),
    (0x50, 0x000): ("X-Gene", "linux"),
    (0x51, 0x001): ("Oryon X1", "linux"),
    (0x51, 0x200): ("Kryo", "linux"),
    (0x51, 0x800): ("Falkor V1 / Kryo 2xx Gold", "linux"),
    (0x51, 0x801): ("Kryo 2xx Silver", "linux"),
    (0x51, 0x802): ("Kryo 3xx Gold", "linux"),
    (0x51, 0x803): ("Kryo 3xx Silver", "linux"),
    (0x51, 0x804): ("Kryo 4xx Gold", "linux"),
    (0x51, 0x805): ("Kryo 4xx Silver", "linux"),
    (0x51, 0xC00): ("Falkor", "linux"),
    (0x61, 0x022): ("M1 Icestorm", "linux"),
    (0x61, 0x023): ("M1 Firestorm", "linux"),
    (0x61, 0x024): ("M1 Pro Icestorm", "linux"),
    (0x61, 0x025): ("M1 Pro Firestorm", "linux"),
    (0x61, 0x028): ("M1 Max Icestorm", "linux"),
    (0x61, 0x029): ("M1 Max Firestorm", "linux"),
    (0x61, 0x032): ("M2 Blizzard", "linux"),
    (0x61, 0x033): ("M2 Avalanche", "linux"),
    (0x61, 0x034): ("M2 Pro Blizzard", "linux"),
    (0x61, 0x035): ("M2 Pro Avalanche", "linux"),
    (0x61, 0x038): ("M2 Max Blizzard", "linux"),
    (0x61, 0x039): ("M2 Max Avalanche", "linux"),
    (0x6D, 0xD49): ("Azure Cobalt 100", "linux"),
    (0x70, 0x303): ("FTC303", "phytium"),
    (0x70, 0x660): ("FTC660", "phytium"),
    (0x70, 0x661): ("FTC661", "phytium"),
    (0x70, 0x662): ("FTC662 (S2500)", "phytium"),
    (0x70, 0x663): ("FTC663", "phytium"),
    (0x70, 0x664): ("FTC664", "phytium"),
    (0xC0, 0xAC3): ("AmpereOne", "linux"),
    (0xC0, 0xAC4): ("AmpereOne A", "linux"),
}
PARTS = {key: name for key, (name, _) in CORES.items()}


X86_VENDORS = {
    "GenuineIntel": "Intel",
    "AuthenticAMD": "AMD",
    "HygonGenuine": "Hygon",
}

# Bit n of AT_HWCAP / AT_HWCAP2 -> the name /proc/cpuinfo prints for it.
# Laid out eight bits a line so positions can be checked against hwcap.h.
# fmt: off
AARCH64_HWCAP = (
    # bits 0-7
    "fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32",
    # bits 8-15
    "atomics", "fphp", "asimdhp", "cpuid", "asimdrdm", "jscvt", "fcma", "lrcpc",
    # bits 16-23
    "dcpop", "sha3", "sm3", "sm4", "asimddp", "sha512", "sve", "asimdfhm",
    # bits 24-31
    "dit", "uscat", "ilrcpc", "flagm", "ssbs", "sb", "paca", "pacg",
    # bits 32-39
    "gcs", "cmpbr", "fprcvt", "f8mm8", "f8mm4", "svef16mm", "sveeltperm", "sveaes2",
    # bits 40-47
    "svebfscale", "sve2p2", "sme2p2", "smesbitperm", "smeaes", "smesfexpa", "smestmop", "smesmop4",
)
AARCH64_HWCAP2 = (
    # bits 0-7
    "dcpodp", "sve2", "sveaes", "svepmull", "svebitperm", "svesha3", "svesm4", "flagm2",
    # bits 8-15
    "frint", "svei8mm", "svef32mm", "svef64mm", "svebf16", "i8mm", "bf16", "dgh",
    # bits 16-23
    "rng", "bti", "mte", "ecv", "afp", "rpres", "mte3", "sme",
    # bits 24-31
    "smei16i64", "smef64f64", "smei8i32", "smef16f32", "smeb16f32", "smef32f32", "smefa64", "wfxt",
    # bits 32-39
    "ebf16", "sveebf16", "cssc", "rprfm", "sve2p1", "sme2", "sme2p1", "smei16i32",
    # bits 40-47
    "smebi32i32", "smeb16b16", "smef16f16", "mops", "hbc", "sveb16b16", "lrcpc3", "lse128",
    # bits 48-55
    "fpmr", "lut", "faminmax", "f8cvt", "f8fma", "f8dp4", "f8dp2", "f8e4m3",
    # bits 56-63
    "f8e5m2", "smelutv2", "smef8f16", "smef8f32", "smesf8fma", "smesf8dp4", "smesf8dp2", "poe",
)
ARM_HWCAP = (
    # bits 0-7
    "swp", "half", "thumb", "26bit", "fastmult", "fpa", "vfp", "edsp",
    # bits 8-15
    "java", "iwmmxt", "crunch", "thumbee", "neon", "vfpv3", "vfpv3d16", "tls",
    # bits 16-23
    "vfpv4", "idiva", "idivt", "vfpd32", "lpae", "evtstrm", "fphp", "asimdhp",
    # bits 24-27
    "asimddp", "asimdfhm", "asimdbf16", "i8mm",
)
ARM_HWCAP2 = (
    # bits 0-6
    "aes", "pmull", "sha1", "sha2", "crc32", "sb", "ssbs",
)
# fmt: on

HWCAP_TABLES = {
    "aarch64": (AARCH64_HWCAP, AARCH64_HWCAP2),
    "armv7l": (ARM_HWCAP, ARM_HWCAP2),
}

_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def parse_cpuinfo(text):
    """Split /proc/cpuinfo into blocks of ``{key: value}``.

    Keys are lower-cased. Returns ``(processors, platform)``: one dict per
    processor, and the trailing block without a ``processor`` key that 32-bit
    ARM and Raspberry Pi kernels print (Hardware, Revision, Serial, Model).
    """
    processors = []
    platform = {}
    for chunk in _BLANK_LINE.split(text or ""):
        block = {}
        for line in chunk.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                block[key.strip().lower()] = value.strip()
        if not block:
            continue
        if "processor" in block and "hardware" not in block:
            processors.append(block)
        else:
            platform.update(block)
    return processors, platform


def cpuinfo_family(processors):
    """'x86' or 'arm' from the fields /proc/cpuinfo carries, or None.

    x86 kernels print vendor_id and flags; ARM kernels print CPU implementer
    and Features. Under qemu-user this tells which kernel really runs.
    """
    for block in processors:
        if "vendor_id" in block or "flags" in block:
            return "x86"
        if "cpu implementer" in block or "features" in block:
            return "arm"
    return None


def _hex(value):
    try:
        return int(value, 16)
    except (TypeError, ValueError):
        return None


def _int(value):
    try:
        return int(value, 0)
    except (TypeError, ValueError):
        return None


def core_name(implementer, part):
    """Core name for a MIDR implementer/part pair, None when not in the table."""
    return PARTS.get((implementer, part))


def _format_id(number, width):
    return None if number is None else f"0x{number:0{width}x}"


def identify_arm(processors, smbios=None):
    """CPU identity of an ARM host from its /proc/cpuinfo blocks.

    The boot CPU (the first block) gives implementer, part, variant and
    revision. ``core`` names every distinct core type in order of appearance,
    joined with " + " for big.LITTLE systems. SMBIOS processor data, when the
    firmware provides it, names the chip vendor: an Ampere Altra reports Arm's
    implementer code 0x41 and part 0xd0c (Neoverse N1) in its MIDR.
    """
    first = processors[0] if processors else {}
    implementer = _hex(first.get("cpu implementer"))
    part = _hex(first.get("cpu part"))
    cores = []
    for block in processors:
        imp, prt = _hex(block.get("cpu implementer")), _hex(block.get("cpu part"))
        if imp is None:
            continue
        name = core_name(imp, prt) or (
            f"unknown core (implementer {_format_id(imp, 2)}, part {_format_id(prt, 3)})"
        )
        if name not in cores:
            cores.append(name)
    vendor = IMPLEMENTERS.get(implementer)
    if implementer is not None and vendor is None:
        vendor = f"unknown implementer {_format_id(implementer, 2)}"
    model_name = first.get("model name")
    if smbios and smbios.get("manufacturer"):
        vendor = normalise_vendor(smbios["manufacturer"])
        model_name = smbios.get("version") or model_name
    return {
        "vendor": vendor,
        "core": " + ".join(cores) if cores else None,
        "implementer": _format_id(implementer, 2),
        "part": _format_id(part, 3),
        "variant": _format_id(_hex(first.get("cpu variant")), 1),
        "revision": _int(first.get("cpu revision")),
        "model_name": model_name,
        "features": sorted(set(first.get("features", "").split())),
    }


def identify_x86(processors):
    """CPU identity of an x86 host; ``core`` is its family and model number."""
    first = processors[0] if processors else {}
    vendor_id = first.get("vendor_id")
    family, model = first.get("cpu family"), first.get("model")
    return {
        "vendor": X86_VENDORS.get(vendor_id, vendor_id),
        "core": f"family {family} model {model}" if family and model else None,
        "implementer": None,
        "part": None,
        "variant": None,
        "revision": None,
        "model_name": first.get("model name"),
        "features": sorted(set(first.get("flags", "").split())),
    }


def normalise_vendor(name):
    """Drop trademark marks: 'Ampere(R)' -> 'Ampere'."""
    return re.sub(r"\((?:R|TM|C)\)", "", name, flags=re.IGNORECASE).strip()


def hwcap_features(arch, hwcap, hwcap2):
    """Feature names for AT_HWCAP / AT_HWCAP2 bits, sorted.

    Bits the table does not name yet are reported as ``hwcap_bitN`` or
    ``hwcap2_bitN`` rather than dropped.
    """
    tables = HWCAP_TABLES.get(arch)
    if tables is None:
        return []
    features = set()
    for prefix, value, names in (("hwcap", hwcap, tables[0]), ("hwcap2", hwcap2, tables[1])):
        bit = 0
        value = value or 0
        while value >> bit:
            if value >> bit & 1:
                features.add(names[bit] if bit < len(names) else f"{prefix}_bit{bit}")
            bit += 1
    return sorted(features)


def parse_smbios_processor(raw):
    """Manufacturer and version strings of an SMBIOS type 4 structure.

    ``raw`` is /sys/firmware/dmi/entries/4-0/raw. The formatted area holds
    string numbers (1-based) at offset 0x07 (manufacturer) and 0x10 (version);
    the NUL-terminated strings follow the formatted area. Returns None for
    anything that is not a type 4 structure.
    """
    if not raw or len(raw) < 0x11 or raw[0] != 4:
        return None
    length = raw[1]
    strings = raw[length:].split(b"\0")

    def string(number):
        if 0 < number <= len(strings) and strings[number - 1]:
            return strings[number - 1].decode("ascii", "replace").strip()
        return None

    return {"manufacturer": string(raw[0x07]), "version": string(raw[0x10])}
