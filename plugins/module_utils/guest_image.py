# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""A small UEFI-bootable test guest, built from Debian packages without emulation.

The disk is a GPT image with one EFI System Partition holding
``EFI/BOOT/BOOT<ARCH>.EFI``: a unified kernel image (UKI) made of systemd's
EFI stub (package systemd-boot-efi) with Debian's cloud kernel, a busybox
initramfs and the kernel command line added as PE sections, the way
systemd's documentation does it with objcopy. The firmware's removable-media
path starts it with no boot entry, so each instance's fresh NVRAM boots it.

The guest's /init prints one marker line on the serial console (architecture,
page size, kernel, firmware, config drive) and keeps a UEFI variable through
efivarfs: it writes the variable on the first boot and reports
``uefi_var=present`` on every later boot that keeps the same NVRAM. It reads
the instance's UUID from a config drive on a virtio-scsi CD-ROM, if one is
attached, and reports ``config_drive=<uuid>`` (else ``config_drive=none``).

Everything that decides the bytes of the image is a pure function here
(recipe, cache key, init script, cpio archive, PE sections, disk layout);
``GuestImageBuilder`` runs apt-get, dpkg-deb, mkfs.vfat, mtools and sfdisk
through a ``run`` callable, so the module and the tests share the code.
"""

import gzip
import hashlib
import json
import os
import re
import shutil
import struct
import tempfile
import time
import uuid

from ansible_collections.dozencloud.cloud.plugins.module_utils.arch import (
    arch_alias,
    canonical_arch,
)

# Bump when anything that changes the image bytes changes outside the recipe.
BUILDER_VERSION = 2

MARKER = "DOZENCLOUD-GUEST-MARKER"
# The marker line the guest prints, as verify and the boot test match it.
MARKER_PATTERN = re.compile(
    MARKER + r" arch=(?P<arch>\S+) page_size=(?P<page_size>\S+) kernel=(?P<kernel>\S+)"
    r" firmware=(?P<firmware>\S+) uefi_var=(?P<uefi_var>\S+)(?: uefi_var_\S+)?"
    r"(?: config_drive=(?P<config_drive>\S+))? boot_id=\S+"
)

# Seconds the guest waits for a CD-ROM once a virtio-scsi controller is bound.
CONFIG_DRIVE_WAIT = 15

# The vendor GUID of DozenCloud's test variable; the name is <var>-<guid> in efivarfs.
UEFI_VAR_GUID = "8c1d4ac1-79d1-4ad5-8916-5c679cc8660e"
UEFI_VAR_NAME = "DozenCloudTest"
# NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS, little-endian, as
# efivarfs expects the first four bytes of a write.
UEFI_VAR_ATTRIBUTES = 0x7

# Per guest architecture: the Debian packages and what the boot path needs.
# dpkg names come from the alias table in arch.py.
GUEST_ARCHES = {
    "aarch64": {
        "kernel_package": "linux-image-cloud-arm64",
        "stub": "usr/lib/systemd/boot/efi/linuxaa64.efi.stub",
        "efi_boot_file": "BOOTAA64.EFI",
        "pe_machine": 0xAA64,
        # The PL011 UART of QEMU's virt machine: libvirt's serial console and log.
        "console": "ttyAMA0",
        "word_bytes": 8,
    },
    "x86_64": {
        "kernel_package": "linux-image-cloud-amd64",
        "stub": "usr/lib/systemd/boot/efi/linuxx64.efi.stub",
        "efi_boot_file": "BOOTX64.EFI",
        "pe_machine": 0x8664,
        "console": "ttyS0",
        "word_bytes": 8,
    },
}
# The kernel modules the initramfs loads, in this order after their
# dependencies (Debian's cloud kernels build them all as modules): efivarfs
# for the UEFI variable; virtio-pci, virtio-scsi, the SCSI CD-ROM and ISO 9660
# to read a config drive. Nova puts the drive on the CD-ROM bus; the cloud
# kernels have no IDE or AHCI driver, so the test images ask for
# hw_cdrom_bus=scsi with hw_scsi_model=virtio-scsi on every architecture.
GUEST_MODULES = ("efivarfs", "virtio_pci", "virtio_scsi", "sr_mod", "isofs")
BUSYBOX_PACKAGE = "busybox-static"
STUB_PACKAGE = "systemd-boot-efi"

# GPT partition type of an EFI System Partition (UEFI 2.10, 5.3.3).
ESP_TYPE_GUID = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
SECTOR = 512
MIB = 1024 * 1024
# FAT32 needs at least 65525 clusters; with one 512-byte sector per cluster
# that is 32 MiB of data plus the FATs, so no ESP is smaller than this.
ESP_MIN_MIB = 36
# Room in the ESP beyond its files: FATs, directories, rounding.
ESP_SLACK_MIB = 2
# GPT: the partition starts at 1 MiB; the backup header and table take the
# last 33 sectors, so 1 MiB is kept after the ESP.
ESP_START_LBA = 2048
GPT_TAIL_MIB = 1

PE_SECTION_FLAGS = 0x40000040  # IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ


class GuestImageError(Exception):
    """The image cannot be built; the message says which input or tool failed."""


def guest_arch(architecture):
    """Canonical name and recipe table of a guest architecture, or GuestImageError."""
    canonical = canonical_arch(architecture)
    if canonical not in GUEST_ARCHES:
        known = ", ".join(sorted(GUEST_ARCHES))
        raise GuestImageError(
            f"architecture={architecture!r}: no test image recipe; fix: use one of {known}"
        )
    return canonical, GUEST_ARCHES[canonical]


def kernel_cmdline(architecture):
    """The guest kernel command line: serial console, and a reboot on panic."""
    _, spec = guest_arch(architecture)
    return f"console={spec['console']} panic=30"


def init_script(architecture):
    """The initramfs /init: mounts, modules, the UEFI variable, the config drive, the marker line.

    Page size: busybox has no getconf, so the script reads AT_PAGESZ (type 6)
    from /proc/self/auxv, the value glibc's sysconf(_SC_PAGESIZE) and thus
    ``getconf PAGESIZE`` return. Each auxv entry is two native words.

    efivarfs gives a variable of an unknown vendor GUID the immutable flag
    once it exists, so the variable is written once (creating it) and only
    read on later boots; its value is the boot id of the boot that wrote it.

    The modules listed in /lib/modules/load are loaded in that order. SCSI
    scans its buses asynchronously, so when a virtio-scsi controller is bound
    the script waits up to CONFIG_DRIVE_WAIT seconds for a CD-ROM to appear.
    The config drive is the ISO 9660 volume holding
    openstack/latest/meta_data.json; its "uuid" is the instance's.
    """
    _, spec = guest_arch(architecture)
    word = {8: "u8", 4: "u4"}[spec["word_bytes"]]
    var = f"/sys/firmware/efi/efivars/{UEFI_VAR_NAME}-{UEFI_VAR_GUID}"
    attributes = "".join(f"\\{b:03o}" for b in struct.pack("<I", UEFI_VAR_ATTRIBUTES))
    return f"""#!/bin/sh
# DozenCloud test guest (dozencloud.cloud.guest_image_build): print the marker
# line, keep a UEFI variable across boots, then stay up.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
# Keep kernel messages from splitting the marker line on the console.
dmesg -n 1
for module in $(cat /lib/modules/load 2>/dev/null); do
  insmod "/lib/modules/$module.ko" 2>/dev/null
done

page_size=unknown
set -- $(od -An -v -t {word} /proc/self/auxv)
while [ $# -ge 2 ]; do
  if [ "$1" = 6 ]; then page_size=$2; break; fi
  shift 2
done

boot_id=$(cat /proc/sys/kernel/random/boot_id)
firmware=bios
uefi="uefi_var=unavailable"
if [ -d /sys/firmware/efi ]; then
  firmware=uefi
  if mount -t efivarfs efivarfs /sys/firmware/efi/efivars; then
    var={var}
    if [ -e "$var" ]; then
      uefi="uefi_var=present uefi_var_value=$(tail -c +5 "$var")"
    elif printf '{attributes}%s' "$boot_id" >"$var"; then
      uefi="uefi_var=absent uefi_var_write=ok"
    else
      uefi="uefi_var=absent uefi_var_write=failed"
    fi
  fi
fi

config_drive=none
if ls /sys/bus/virtio/drivers/virtio_scsi 2>/dev/null | grep -q '^virtio'; then
  waited=0
  while [ ! -b /dev/sr0 ] && [ "$waited" -lt {CONFIG_DRIVE_WAIT} ]; do
    sleep 1
    waited=$((waited + 1))
  done
fi
for dev in /dev/sr*; do
  [ -b "$dev" ] || continue
  mount -t iso9660 -o ro "$dev" /mnt 2>/dev/null || continue
  meta=/mnt/openstack/latest/meta_data.json
  if [ -f "$meta" ]; then
    uuid=$(sed -n 's/.*"uuid": *"\\([0-9a-fA-F-]*\\)".*/\\1/p' "$meta")
    config_drive=${{uuid:-unreadable}}
  fi
  umount /mnt
done

echo
echo "{MARKER} arch=$(uname -m) page_size=$page_size kernel=$(uname -r)" \\
  "firmware=$firmware $uefi config_drive=$config_drive boot_id=$boot_id"
while :; do sleep 3600; done
"""


def parse_marker(text):
    """The fields of the last marker line in console output, or None."""
    found = None
    for match in MARKER_PATTERN.finditer(text):
        found = match
    if found is None:
        return None
    fields = dict(item.split("=", 1) for item in found.group(0).split()[1:])
    fields["line"] = found.group(0)
    return fields


def recipe(architecture, suite, packages):
    """Everything that decides the image bytes, as a JSON-able dict.

    ``packages`` maps each Debian package used to its exact version.
    """
    canonical, spec = guest_arch(architecture)
    return {
        "builder": BUILDER_VERSION,
        "architecture": canonical,
        "dpkg_architecture": arch_alias(canonical, "dpkg"),
        "suite": suite,
        "packages": dict(sorted(packages.items())),
        "cmdline": kernel_cmdline(canonical),
        "init_sha256": hashlib.sha256(init_script(canonical).encode()).hexdigest(),
        "modules": list(GUEST_MODULES),
        "efi_boot_file": spec["efi_boot_file"],
        "esp_min_mib": ESP_MIN_MIB,
    }


def recipe_key(spec):
    """A short stable hash of a recipe: the cache key of the image."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def image_name(spec):
    """File name of the cached image of a recipe."""
    return f"dozencloud-test-{spec['architecture']}-{spec['suite']}-{recipe_key(spec)}.raw"


def os_release(spec):
    """The UKI's .osrel section: names the image and what it was built from."""
    packages = " ".join(f"{name}={version}" for name, version in spec["packages"].items())
    return (
        'ID=dozencloud-test\nNAME="DozenCloud test guest"\n'
        f'VERSION_ID="{recipe_key(spec)}"\n'
        f'PRETTY_NAME="DozenCloud test guest ({spec["architecture"]}, Debian {spec["suite"]})"\n'
        f'DOZENCLOUD_PACKAGES="{packages}"\n'
    )


def disk_guids(key):
    """Deterministic GPT disk and ESP GUIDs and FAT volume id for a cache key."""
    namespace = uuid.UUID(UEFI_VAR_GUID)
    return {
        "disk": str(uuid.uuid5(namespace, f"{key}/disk")).upper(),
        "esp": str(uuid.uuid5(namespace, f"{key}/esp")).upper(),
        "volume_id": key[:8],
    }


# --- initramfs -------------------------------------------------------------


def _newc_entry(ino, name, mode, data=b"", nlink=1, rdev=(0, 0)):
    encoded = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0)
    header = b"070701" + b"".join(b"%08X" % value for value in fields)
    out = header + encoded
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def newc_archive(entries):
    """A cpio 'newc' archive, as the kernel unpacks an initramfs.

    ``entries`` are dicts with ``path`` (no leading slash) and ``type``: dir,
    file (``data``, ``mode``), symlink (``target``) or char (``major``,
    ``minor``). Owners are root, times zero: the same input gives the same
    bytes, and no root privilege is needed to make device nodes.
    """
    out = []
    for ino, entry in enumerate(entries, start=1):
        kind = entry["type"]
        perm = entry.get("mode", 0o755 if kind in ("dir", "file") else 0o777)
        if kind == "dir":
            out.append(_newc_entry(ino, entry["path"], 0o040000 | perm, nlink=2))
        elif kind == "file":
            out.append(_newc_entry(ino, entry["path"], 0o100000 | perm, entry["data"]))
        elif kind == "symlink":
            target = entry["target"].encode()
            out.append(_newc_entry(ino, entry["path"], 0o120000 | 0o777, target))
        elif kind == "char":
            rdev = (entry["major"], entry["minor"])
            out.append(_newc_entry(ino, entry["path"], 0o020000 | perm, rdev=rdev))
        else:
            raise GuestImageError(f"cpio entry {entry['path']!r}: unknown type {kind!r}")
    out.append(_newc_entry(0, "TRAILER!!!", 0, nlink=1))
    archive = b"".join(out)
    return archive + b"\0" * (-len(archive) % 512)


def initramfs_entries(architecture, busybox, modules=()):
    """The initramfs tree: busybox, /init, /dev/console, and the kernel modules.

    ``modules`` is a list of (name, .ko bytes) in load order, dependencies
    first (see ``module_load_order``); /lib/modules/load lists the names.
    """
    entries = [
        {"path": name, "type": "dir"}
        for name in ("bin", "dev", "lib", "lib/modules", "mnt", "proc", "run", "sys", "tmp")
    ]
    entries += [
        {"path": "dev/console", "type": "char", "major": 5, "minor": 1, "mode": 0o600},
        {"path": "bin/busybox", "type": "file", "data": busybox},
        {"path": "bin/sh", "type": "symlink", "target": "busybox"},
        {"path": "init", "type": "file", "data": init_script(architecture).encode()},
    ]
    for name, data in modules:
        entries.append(
            {"path": f"lib/modules/{name}.ko", "type": "file", "data": data, "mode": 0o644}
        )
    if modules:
        order = "".join(f"{name}\n" for name, _ in modules).encode()
        entries.append({"path": "lib/modules/load", "type": "file", "data": order, "mode": 0o644})
    return entries


def initramfs(architecture, busybox, modules=()):
    """The gzip-compressed initramfs (gzip: every Debian kernel unpacks it)."""
    archive = newc_archive(initramfs_entries(architecture, busybox, modules))
    return gzip.compress(archive, compresslevel=9, mtime=0)


# --- kernel modules --------------------------------------------------------


def module_name(filename):
    """The kernel's name of a module file: no .ko, dashes as underscores."""
    base = os.path.basename(filename)
    if base.endswith(".ko"):
        base = base[: -len(".ko")]
    return base.replace("-", "_")


def elf_section(data, wanted):
    """The bytes of the named section of a 64-bit little-endian ELF file, or None."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise GuestImageError("not a 64-bit little-endian ELF file")
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = []
    for index in range(shnum):
        base = shoff + index * shentsize
        name, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", data, base)
        headers.append((name, offset, size))
    _, str_offset, str_size = headers[shstrndx]
    names = data[str_offset : str_offset + str_size]
    for name, offset, size in headers:
        if names[name : names.index(b"\0", name)].decode() == wanted:
            return data[offset : offset + size]
    return None


def module_depends(data):
    """The modules a .ko needs first: the ``depends=`` field of its .modinfo section."""
    modinfo = elf_section(data, ".modinfo") or b""
    for field in modinfo.split(b"\0"):
        if field.startswith(b"depends="):
            return [module_name(n) for n in field[len(b"depends=") :].decode().split(",") if n]
    return []


def module_load_order(wanted, available, builtin=()):
    """The modules to load for ``wanted``, dependencies first, as (name, bytes).

    ``available`` maps module names to .ko bytes; ``builtin`` names the
    modules built into the kernel (modules.builtin), which need no loading.
    A module that is neither is an error naming it and what needs it.
    """
    order, seen = [], set()

    def visit(name, needed_by):
        name = module_name(name)
        if name in seen or name in builtin:
            return
        if name not in available:
            raise GuestImageError(
                f"kernel module {name} (needed by {needed_by}) is neither in the kernel "
                "package nor built in"
            )
        seen.add(name)
        for dependency in module_depends(available[name]):
            visit(dependency, name)
        order.append((name, available[name]))

    for name in wanted:
        visit(name, "the test guest")
    return order


def kernel_modules(modules_dir):
    """({name: .ko bytes}, {built-in names}) of an unpacked /lib/modules/<release>."""
    available = {}
    for directory, _, files in sorted(os.walk(os.path.join(modules_dir, "kernel"))):
        for filename in sorted(files):
            if filename.endswith(".ko"):
                with open(os.path.join(directory, filename), "rb") as handle:
                    available[module_name(filename)] = handle.read()
    builtin = set()
    path = os.path.join(modules_dir, "modules.builtin")
    if os.path.isfile(path):
        with open(path) as handle:
            builtin = {module_name(line.strip()) for line in handle if line.strip()}
    return available, builtin


# --- unified kernel image --------------------------------------------------


def _align(value, alignment):
    return (value + alignment - 1) // alignment * alignment


def pe_add_sections(stub, sections, machine):
    """Append named data sections to a PE32+ image, as objcopy --add-section does.

    The new section headers go into the header area after the existing table
    (systemd's aarch64 stub pads it with NOPs to 0x1000), their data at the end
    of the file, and their addresses after the last section, aligned to the
    image's section alignment. The checksum is cleared: UEFI does not check it.
    """
    image = bytearray(stub)
    if image[:2] != b"MZ":
        raise GuestImageError("the EFI stub is not a PE image (no MZ header)")
    pe = struct.unpack_from("<I", image, 0x3C)[0]
    if image[pe : pe + 4] != b"PE\0\0":
        raise GuestImageError("the EFI stub is not a PE image (no PE signature)")
    found_machine, count = struct.unpack_from("<HH", image, pe + 4)
    if found_machine != machine:
        raise GuestImageError(
            f"the EFI stub is for PE machine {found_machine:#x}, not {machine:#x}; "
            "fix: use the stub of the guest architecture"
        )
    optional_size = struct.unpack_from("<H", image, pe + 20)[0]
    optional = pe + 24
    if struct.unpack_from("<H", image, optional)[0] != 0x20B:
        raise GuestImageError("the EFI stub is not PE32+")
    section_alignment, file_alignment = struct.unpack_from("<II", image, optional + 32)
    size_of_image, size_of_headers = struct.unpack_from("<II", image, optional + 56)
    table = optional + optional_size

    existing = []
    for index in range(count):
        name, vsize, vaddr, rsize, rptr = struct.unpack_from("<8sIIII", image, table + 40 * index)
        existing.append((name.rstrip(b"\0").decode(), vsize, vaddr, rsize, rptr))
    names = {entry[0] for entry in existing}
    first_data = min((e[4] for e in existing if e[3]), default=size_of_headers)
    table_end = table + 40 * (count + len(sections))
    if table_end > min(size_of_headers, first_data):
        raise GuestImageError(
            f"no room for {len(sections)} more section headers in the EFI stub "
            f"(headers end at {size_of_headers:#x})"
        )

    next_address = _align(
        max([size_of_image, *(v + max(vs, rs) for _, vs, v, rs, _ in existing)]),
        section_alignment,
    )
    image += b"\0" * (-len(image) % file_alignment)
    headers = []
    for name, data in sections:
        if len(name.encode()) > 8:
            raise GuestImageError(f"PE section name {name!r} is longer than 8 bytes")
        if name in names:
            raise GuestImageError(f"the EFI stub already has a {name} section")
        names.add(name)
        raw_size = _align(len(data), file_alignment)
        headers.append(
            struct.pack(
                "<8sIIIIIIHHI",
                name.encode(),
                len(data),
                next_address,
                raw_size,
                len(image),
                0,
                0,
                0,
                0,
                PE_SECTION_FLAGS,
            )
        )
        image += data + b"\0" * (raw_size - len(data))
        next_address = _align(next_address + len(data), section_alignment)

    start = table + 40 * count
    image[start : start + 40 * len(sections)] = b"".join(headers)
    struct.pack_into("<H", image, pe + 6, count + len(sections))
    struct.pack_into("<I", image, optional + 56, next_address)
    struct.pack_into("<I", image, optional + 64, 0)
    return bytes(image)


def pe_sections(image):
    """[(name, virtual_size, virtual_address, raw_size, raw_pointer)] of a PE image."""
    pe = struct.unpack_from("<I", image, 0x3C)[0]
    count = struct.unpack_from("<H", image, pe + 6)[0]
    table = pe + 24 + struct.unpack_from("<H", image, pe + 20)[0]
    out = []
    for index in range(count):
        name, vsize, vaddr, rsize, rptr = struct.unpack_from("<8sIIII", image, table + 40 * index)
        out.append((name.rstrip(b"\0").decode(), vsize, vaddr, rsize, rptr))
    return out


def unified_kernel_image(architecture, stub, kernel, initrd, spec):
    """systemd-stub + .osrel, .cmdline, .initrd and .linux, in that order."""
    _, arch_spec = guest_arch(architecture)
    return pe_add_sections(
        stub,
        [
            (".osrel", os_release(spec).encode()),
            (".cmdline", spec["cmdline"].encode() + b"\0"),
            (".initrd", initrd),
            (".linux", kernel),
        ],
        arch_spec["pe_machine"],
    )


# --- disk layout -----------------------------------------------------------


def disk_layout(payload_bytes):
    """Sizes and offsets of the GPT disk for an ESP holding ``payload_bytes`` of files.

    FAT32 with one 512-byte sector per cluster, so the ESP is at least
    ESP_MIN_MIB; everything is rounded to whole MiB.
    """
    if payload_bytes < 0:
        raise GuestImageError(f"payload size {payload_bytes} is negative")
    esp_mib = max(ESP_MIN_MIB, -(-payload_bytes // MIB) + ESP_SLACK_MIB)
    start = ESP_START_LBA * SECTOR
    size = esp_mib * MIB
    return {
        "sector": SECTOR,
        "esp_start_lba": ESP_START_LBA,
        "esp_sectors": size // SECTOR,
        "esp_offset": start,
        "esp_bytes": size,
        "disk_bytes": start + size + GPT_TAIL_MIB * MIB,
        "fat_bits": 32,
    }


def sfdisk_script(layout, guids):
    """sfdisk input for the GPT: fixed GUIDs, so the same recipe gives the same table."""
    return (
        "label: gpt\n"
        f"label-id: {guids['disk']}\n"
        f"first-lba: {layout['esp_start_lba']}\n"
        f"sector-size: {layout['sector']}\n"
        "\n"
        f"start={layout['esp_start_lba']}, size={layout['esp_sectors']}, "
        f'type={ESP_TYPE_GUID}, uuid={guids["esp"]}, name="EFI System Partition"\n'
    )


def mkfs_vfat_args(layout, guids, path):
    """mkfs.vfat arguments for the ESP image file (size in KiB, invariant fields)."""
    return [
        "mkfs.vfat",
        "-C",
        "--invariant",
        "-F",
        str(layout["fat_bits"]),
        "-S",
        str(layout["sector"]),
        "-s",
        "1",
        "-i",
        guids["volume_id"],
        "-n",
        "DOZEN-ESP",
        path,
        str(layout["esp_bytes"] // 1024),
    ]


# --- Debian packages -------------------------------------------------------


def parse_control(text):
    """The paragraphs of apt-cache show output, as dicts of fields."""
    paragraphs = []
    fields = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                paragraphs.append(fields)
            fields, key = {}, None
        elif line[0] in " \t" and key:
            fields[key] += "\n" + line.strip()
        else:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    if fields:
        paragraphs.append(fields)
    return paragraphs


def kernel_dependency(metapackage, depends):
    """The versioned linux-image package a kernel metapackage depends on."""
    for alternatives in depends.split(","):
        name = alternatives.split("|")[0].split("(")[0].strip()
        if name.startswith("linux-image-") and name != metapackage:
            return name
    raise GuestImageError(f"{metapackage} depends on no linux-image package (Depends: {depends!r})")


def sources_list(dpkg_arch, suite, mirror, security_mirror):
    """The private apt sources: the suite, its updates and, if given, security."""
    lines = [
        f"deb [arch={dpkg_arch}] {mirror} {suite} main",
        f"deb [arch={dpkg_arch}] {mirror} {suite}-updates main",
    ]
    if security_mirror:
        lines.append(f"deb [arch={dpkg_arch}] {security_mirror} {suite}-security main")
    return "\n".join(lines) + "\n"


def apt_options(dpkg_arch, apt_dir, proxy=None):
    """apt-get/apt-cache options for a private package state of one architecture.

    Nothing of the host's dpkg state, sources or pinning is read or changed;
    the host's apt.conf.d (a site proxy, for instance) and keyring still
    apply, so Release signatures are checked as usual.
    """
    options = {
        "APT::Architecture": dpkg_arch,
        "APT::Architectures": dpkg_arch,
        "Dir::State::Lists": f"{apt_dir}/lists",
        "Dir::State::Status": "/dev/null",
        "Dir::Cache": f"{apt_dir}/cache",
        "Dir::Etc::SourceList": f"{apt_dir}/sources.list",
        "Dir::Etc::SourceParts": f"{apt_dir}/sources.list.d",
        "Dir::Etc::Preferences": "/dev/null",
        "Dir::Etc::PreferencesParts": f"{apt_dir}/preferences.d",
        "Acquire::Languages": "none",
        "APT::Sandbox::User": "root",
    }
    if proxy:
        options["Acquire::http::Proxy"] = proxy
    args = []
    for key, value in options.items():
        args += ["-o", f"{key}={value}"]
    return args


def command_summary(argv):
    """argv without apt's -o options, for messages."""
    out = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "-o":
            skip = True
        else:
            out.append(arg)
    return out


def file_digests(path):
    """sha256 and md5 (glance's checksum) of a file, and its size."""
    sha256 = hashlib.sha256()
    md5 = hashlib.md5()
    size = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(MIB), b""):
            sha256.update(block)
            md5.update(block)
            size += len(block)
    return {"sha256": sha256.hexdigest(), "md5": md5.hexdigest(), "size": size}


class GuestImageBuilder:
    """Resolves, downloads and builds one test image into a cache directory.

    ``run(argv, cwd=None, env=None, data=None)`` returns (rc, stdout, stderr);
    the module passes AnsibleModule.run_command, the boot test subprocess.
    """

    def __init__(self, run, architecture, suite, cache_dir, mirror, security_mirror, proxy=None):
        self.arch, self.spec = guest_arch(architecture)
        self.dpkg_arch = arch_alias(self.arch, "dpkg")
        self.suite = suite
        self.cache_dir = os.path.abspath(os.path.expanduser(cache_dir))
        self.mirror = mirror
        self.security_mirror = security_mirror
        self.proxy = proxy
        self._run = run
        self.apt_dir = os.path.join(self.cache_dir, "apt", f"{self.dpkg_arch}-{suite}")
        self.apt_args = apt_options(self.dpkg_arch, self.apt_dir, proxy)

    def run(self, argv, **kwargs):
        rc, out, err = self._run(argv, **kwargs)
        if rc != 0:
            raise GuestImageError(
                f"{' '.join(command_summary(argv))} failed (rc={rc}): {(err or out).strip()[-800:]}"
            )
        return out

    # apt ----------------------------------------------------------------
    def _write_if_changed(self, path, content):
        try:
            with open(path) as handle:
                if handle.read() == content:
                    return
        except FileNotFoundError:
            pass
        with open(path, "w") as handle:
            handle.write(content)

    def prepare_apt(self):
        for sub in ("lists/partial", "cache/archives/partial", "sources.list.d", "preferences.d"):
            os.makedirs(os.path.join(self.apt_dir, sub), exist_ok=True)
        self._write_if_changed(
            os.path.join(self.apt_dir, "sources.list"),
            sources_list(self.dpkg_arch, self.suite, self.mirror, self.security_mirror),
        )

    def _stamp(self):
        return os.path.join(self.apt_dir, "updated")

    def lists_age(self):
        """Seconds since the private package lists were refreshed, or None."""
        try:
            return time.time() - os.stat(self._stamp()).st_mtime
        except FileNotFoundError:
            return None

    def update(self):
        self.prepare_apt()
        self.run(["apt-get", *self.apt_args, "-q", "update"])
        with open(self._stamp(), "w") as handle:
            handle.write(f"{self.suite} {self.mirror} {self.security_mirror or ''}\n")

    def show(self, *packages):
        """{package: control fields} of the candidate version of each package."""
        out = self.run(["apt-cache", *self.apt_args, "show", "--no-all-versions", *packages])
        found = {fields.get("Package"): fields for fields in parse_control(out)}
        missing = [name for name in packages if not found.get(name, {}).get("Version")]
        if missing:
            raise GuestImageError(
                f"{', '.join(missing)} ({self.dpkg_arch}): no candidate in {self.suite} "
                f"at {self.mirror}"
            )
        return {name: found[name] for name in packages}

    def resolve(self):
        """{package: control fields} of every package the image is built from."""
        metapackage = self.spec["kernel_package"]
        meta = self.show(metapackage)[metapackage]
        kernel = kernel_dependency(metapackage, meta.get("Depends", ""))
        return self.show(kernel, BUSYBOX_PACKAGE, STUB_PACKAGE)

    def download(self, name, fields):
        directory = os.path.join(
            self.cache_dir,
            "debs",
            self.dpkg_arch,
            f"{name}_{fields['Version'].replace(':', '%3a')}",
        )
        os.makedirs(directory, exist_ok=True)
        debs = [f for f in os.listdir(directory) if f.endswith(".deb")]
        if not debs:
            self.run(
                ["apt-get", *self.apt_args, "-q", "download", f"{name}={fields['Version']}"],
                cwd=directory,
            )
            debs = [f for f in os.listdir(directory) if f.endswith(".deb")]
        if len(debs) != 1:
            raise GuestImageError(f"expected one .deb of {name} in {directory}, found {debs}")
        path = os.path.join(directory, debs[0])
        expected = fields.get("SHA256")
        if expected and file_digests(path)["sha256"] != expected:
            os.unlink(path)
            raise GuestImageError(f"{path}: SHA256 differs from the archive's; removed it")
        return path

    # build --------------------------------------------------------------
    def recipe(self, resolved):
        return recipe(self.arch, self.suite, {n: f["Version"] for n, f in resolved.items()})

    def paths(self, spec):
        image = os.path.join(self.cache_dir, "images", image_name(spec))
        return image, image[: -len(".raw")] + ".json"

    def cached(self, spec):
        """The manifest of an already built image of this recipe, or None."""
        image, manifest = self.paths(spec)
        if not (os.path.isfile(image) and os.path.isfile(manifest)):
            return None
        with open(manifest) as handle:
            data = json.load(handle)
        if data.get("key") != recipe_key(spec) or os.path.getsize(image) != data.get("size"):
            return None
        return data

    def build(self, resolved):
        spec = self.recipe(resolved)
        key = recipe_key(spec)
        image, manifest = self.paths(spec)
        os.makedirs(os.path.dirname(image), exist_ok=True)
        debs = {name: self.download(name, fields) for name, fields in resolved.items()}
        work = tempfile.mkdtemp(prefix=f".build-{key}-", dir=os.path.dirname(image))
        try:
            root = os.path.join(work, "root")
            for deb in debs.values():
                self.run(["dpkg-deb", "-x", deb, root])
            kernel_release, kernel = self._kernel(root)
            with open(os.path.join(root, "bin", "busybox"), "rb") as handle:
                busybox = handle.read()
            available, builtin = kernel_modules(
                os.path.join(root, "lib", "modules", kernel_release)
            )
            modules = module_load_order(GUEST_MODULES, available, builtin)
            with open(os.path.join(root, self.spec["stub"]), "rb") as handle:
                stub = handle.read()
            uki = unified_kernel_image(
                self.arch, stub, kernel, initramfs(self.arch, busybox, modules), spec
            )
            disk = os.path.join(work, "disk.raw")
            self._disk(work, disk, uki, key)
            digests = file_digests(disk)
            data = {
                "key": key,
                "recipe": spec,
                "kernel_release": kernel_release,
                "marker": MARKER,
                "modules": [name for name, _ in modules],
                "uki_bytes": len(uki),
                **digests,
            }
            with open(os.path.join(work, "manifest.json"), "w") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
            os.replace(disk, image)
            os.replace(os.path.join(work, "manifest.json"), manifest)
            return data
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _kernel(self, root):
        boot = os.path.join(root, "boot")
        names = sorted(f for f in os.listdir(boot) if f.startswith("vmlinuz-"))
        if len(names) != 1:
            raise GuestImageError(f"expected one vmlinuz in the kernel package, found {names}")
        with open(os.path.join(boot, names[0]), "rb") as handle:
            kernel = handle.read()
        if kernel[:2] == b"\x1f\x8b":
            kernel = gzip.decompress(kernel)
        if kernel[:2] != b"MZ":
            raise GuestImageError(f"{names[0]} is not an EFI-stub kernel (no PE header)")
        return names[0][len("vmlinuz-") :], kernel

    def _disk(self, work, disk, uki, key):
        layout = disk_layout(len(uki))
        guids = disk_guids(key)
        esp = os.path.join(work, "esp.img")
        uki_path = os.path.join(work, self.spec["efi_boot_file"])
        with open(uki_path, "wb") as handle:
            handle.write(uki)
        os.utime(uki_path, (0, 0))
        self.run(mkfs_vfat_args(layout, guids, esp))
        # mtools stamps directory entries with SOURCE_DATE_EPOCH when set.
        env = {"MTOOLS_SKIP_CHECK": "1", "SOURCE_DATE_EPOCH": "0", "TZ": "UTC"}
        self.run(["mmd", "-i", esp, "::/EFI", "::/EFI/BOOT"], env=env)
        self.run(
            ["mcopy", "-m", "-i", esp, uki_path, f"::/EFI/BOOT/{self.spec['efi_boot_file']}"],
            env=env,
        )
        with open(disk, "wb") as handle:
            handle.truncate(layout["disk_bytes"])
        self.run(
            ["sfdisk", "--no-reread", "--no-tell-kernel", "-q", disk],
            data=sfdisk_script(layout, guids),
        )
        with open(esp, "rb") as source, open(disk, "r+b") as target:
            target.seek(layout["esp_offset"])
            shutil.copyfileobj(source, target, MIB)
