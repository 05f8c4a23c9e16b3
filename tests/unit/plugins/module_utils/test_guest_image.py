"""The pure parts of the test guest image: recipe, init, cpio, UKI sections, disk layout."""

import gzip
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils import guest_image as gi

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "guest_image"
PACKAGES = {
    "busybox-static": "1:1.35.0-4+deb12u1+b1",
    "linux-image-6.1.0-56-cloud-arm64": "6.1.192-2",
    "systemd-boot-efi": "252.39-1~deb12u2",
}


# --- architectures, recipe, key ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "canonical", "console"),
    [
        ("aarch64", "aarch64", "ttyAMA0"),
        ("ARM64", "aarch64", "ttyAMA0"),
        ("amd64", "x86_64", "ttyS0"),
    ],
)
def test_architecture_aliases_and_console(name, canonical, console):
    assert gi.guest_arch(name)[0] == canonical
    assert gi.kernel_cmdline(name) == f"console={console} panic=30"


@pytest.mark.parametrize("name", ["armv7l", "riscv64", ""])
def test_architecture_without_recipe(name):
    with pytest.raises(
        gi.GuestImageError, match=r"no test image recipe; fix: use one of aarch64, x86_64"
    ):
        gi.guest_arch(name)


def test_recipe_names_everything_that_decides_the_bytes():
    spec = gi.recipe("arm64", "bookworm", PACKAGES)
    assert spec["architecture"] == "aarch64"
    assert spec["dpkg_architecture"] == "arm64"
    assert list(spec["packages"]) == sorted(PACKAGES)
    assert spec["cmdline"] == "console=ttyAMA0 panic=30"
    assert spec["efi_boot_file"] == "BOOTAA64.EFI"
    assert len(spec["init_sha256"]) == 64


def test_recipe_key_is_stable_and_follows_versions():
    key = gi.recipe_key(gi.recipe("aarch64", "bookworm", PACKAGES))
    assert key == gi.recipe_key(gi.recipe("arm64", "bookworm", dict(reversed(PACKAGES.items()))))
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    newer = dict(PACKAGES, **{"linux-image-6.1.0-56-cloud-arm64": "6.1.192-3"})
    assert gi.recipe_key(gi.recipe("aarch64", "bookworm", newer)) != key
    assert gi.recipe_key(gi.recipe("x86_64", "bookworm", PACKAGES)) != key


def test_image_name_carries_arch_suite_and_key():
    spec = gi.recipe("aarch64", "bookworm", PACKAGES)
    assert gi.image_name(spec) == f"dozencloud-test-aarch64-bookworm-{gi.recipe_key(spec)}.raw"


def test_os_release_names_the_packages():
    text = gi.os_release(gi.recipe("aarch64", "bookworm", PACKAGES))
    assert "ID=dozencloud-test\n" in text
    assert 'DOZENCLOUD_PACKAGES="busybox-static=1:1.35.0-4+deb12u1+b1 ' in text


def test_disk_guids_are_deterministic():
    first, second = gi.disk_guids("ad22568b758c9b6b"), gi.disk_guids("ad22568b758c9b6b")
    assert first == second
    assert first["disk"] != first["esp"]
    assert first["disk"] == first["disk"].upper()
    assert first["volume_id"] == "ad22568b"
    assert gi.disk_guids("0000000000000000")["disk"] != first["disk"]


# --- the guest's /init -------------------------------------------------------


def test_init_script_content():
    script = gi.init_script("aarch64")
    assert script.startswith("#!/bin/sh\n")
    for needed in (
        "mount -t proc proc /proc",
        "mount -t sysfs sysfs /sys",
        "mount -t devtmpfs devtmpfs /dev",
        "od -An -v -t u8 /proc/self/auxv",
        'insmod "/lib/modules/$module.ko"',
        "$(cat /lib/modules/load 2>/dev/null)",
        "mount -t efivarfs efivarfs /sys/firmware/efi/efivars",
        f"/sys/firmware/efi/efivars/DozenCloudTest-{gi.UEFI_VAR_GUID}",
        "printf '\\007\\000\\000\\000%s' \"$boot_id\"",
        'echo "DOZENCLOUD-GUEST-MARKER arch=$(uname -m) page_size=$page_size',
        '"firmware=$firmware $uefi config_drive=$config_drive boot_id=$boot_id"',
        "mount -t iso9660 -o ro",
        f'[ "$waited" -lt {gi.CONFIG_DRIVE_WAIT} ]',
    ):
        assert needed in script, needed
    assert script.rstrip().endswith("while :; do sleep 3600; done")


def test_init_page_size_parse_gives_what_getconf_gives():
    """The auxv loop, run by this machine's sh and od, finds sysconf(_SC_PAGE_SIZE)."""
    if not (shutil.which("od") and os.path.exists("/proc/self/auxv")):
        pytest.skip("needs od and /proc/self/auxv")
    script = gi.init_script("x86_64")
    start = script.index("page_size=unknown")
    end = script.index("done", start) + len("done")
    out = subprocess.run(
        ["sh", "-c", script[start:end] + '\necho "$page_size"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert int(out) == os.sysconf("SC_PAGE_SIZE")


def test_parse_marker_on_recorded_boots():
    first = gi.parse_marker((FIXTURES / "console-aarch64-boot1.log").read_text(errors="replace"))
    second = gi.parse_marker((FIXTURES / "console-aarch64-boot2.log").read_text(errors="replace"))
    assert first["arch"] == second["arch"] == "aarch64"
    assert first["page_size"] == "4096"
    assert first["kernel"] == "6.1.0-56-cloud-arm64"
    assert first["firmware"] == "uefi"
    assert first["uefi_var"] == "absent"
    assert first["uefi_var_write"] == "ok"
    assert second["uefi_var"] == "present"
    # The variable holds the boot id of the boot that wrote it.
    assert second["uefi_var_value"] == first["boot_id"] != second["boot_id"]
    assert second["line"].startswith("DOZENCLOUD-GUEST-MARKER arch=aarch64 page_size=4096 ")


def test_init_reads_the_uuid_nova_writes(tmp_path):
    """The script's sed, run by this machine's sh, finds the uuid in nova's meta_data.json."""
    script = gi.init_script("aarch64")
    line = next(x for x in script.splitlines() if "uuid=$(sed" in x).strip()
    meta = tmp_path / "meta_data.json"
    # As nova's InstanceMetadata writes it: json.dumps with its default separators.
    meta.write_text(
        '{"uuid": "0d3f6c5e-8a43-4b8e-9d3c-2f1b5a7e9c10", "meta": {}, '
        '"hostname": "dozen-verify-aarch64", "name": "dozen-verify-aarch64"}'
    )
    out = subprocess.run(
        ["sh", "-c", f'meta={meta}\n{line}\necho "$uuid"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "0d3f6c5e-8a43-4b8e-9d3c-2f1b5a7e9c10"


def test_parse_marker_with_config_drive():
    line = (
        "DOZENCLOUD-GUEST-MARKER arch=aarch64 page_size=4096 kernel=6.1.0-57-cloud-arm64 "
        "firmware=uefi uefi_var=absent uefi_var_write=ok "
        "config_drive=0d3f6c5e-8a43-4b8e-9d3c-2f1b5a7e9c10 boot_id=1234"
    )
    marker = gi.parse_marker(f"noise\n{line}\n")
    assert marker["config_drive"] == "0d3f6c5e-8a43-4b8e-9d3c-2f1b5a7e9c10"
    assert marker["uefi_var"] == "absent"
    assert marker["line"] == line


def test_parse_marker_of_an_older_image_has_no_config_drive():
    marker = gi.parse_marker((FIXTURES / "console-aarch64-boot1.log").read_text(errors="replace"))
    assert "config_drive" not in marker


def test_parse_marker_without_marker():
    assert gi.parse_marker("EFI stub: Booting Linux Kernel...\n") is None


# --- initramfs ---------------------------------------------------------------


def read_newc(archive):
    """[(name, mode, data, rdevmajor, rdevminor)] of a newc archive."""
    out, offset = [], 0
    while True:
        assert archive[offset : offset + 6] == b"070701"
        fields = [int(archive[offset + 6 + 8 * i : offset + 14 + 8 * i], 16) for i in range(13)]
        mode, size, rmajor, rminor, namesize = (
            fields[1],
            fields[6],
            fields[9],
            fields[10],
            fields[11],
        )
        name_start = offset + 110
        name = archive[name_start : name_start + namesize - 1].decode()
        data_start = name_start + namesize + (-(110 + namesize) % 4)
        data = archive[data_start : data_start + size]
        offset = data_start + size + (-size % 4)
        if name == "TRAILER!!!":
            return out, offset
        out.append((name, mode, data, rmajor, rminor))


def test_newc_archive_round_trip():
    archive = gi.newc_archive(
        [
            {"path": "bin", "type": "dir"},
            {"path": "bin/busybox", "type": "file", "data": b"\x7fELF..."},
            {"path": "bin/sh", "type": "symlink", "target": "busybox"},
            {"path": "dev/console", "type": "char", "major": 5, "minor": 1, "mode": 0o600},
        ]
    )
    entries, end = read_newc(archive)
    assert len(archive) % 512 == 0
    assert set(archive[end:]) <= {0}
    assert entries == [
        ("bin", 0o040755, b"", 0, 0),
        ("bin/busybox", 0o100755, b"\x7fELF...", 0, 0),
        ("bin/sh", 0o120777, b"busybox", 0, 0),
        ("dev/console", 0o020600, b"", 5, 1),
    ]


def test_newc_archive_refuses_unknown_type():
    with pytest.raises(gi.GuestImageError, match="unknown type 'fifo'"):
        gi.newc_archive([{"path": "run/x", "type": "fifo"}])


def test_initramfs_is_deterministic_and_complete():
    modules = [("virtio", b"VIRTIO"), ("efivarfs", b"MODULE")]
    first = gi.initramfs("aarch64", b"BUSYBOX", modules)
    assert first == gi.initramfs("aarch64", b"BUSYBOX", modules)
    entries, _ = read_newc(gzip.decompress(first))
    by_name = {name: (mode, data) for name, mode, data, _, _ in entries}
    assert by_name["init"] == (0o100755, gi.init_script("aarch64").encode())
    assert by_name["bin/busybox"] == (0o100755, b"BUSYBOX")
    assert by_name["lib/modules/efivarfs.ko"] == (0o100644, b"MODULE")
    assert by_name["lib/modules/virtio.ko"] == (0o100644, b"VIRTIO")
    # The load order as given: dependencies first.
    assert by_name["lib/modules/load"] == (0o100644, b"virtio\nefivarfs\n")
    assert by_name["mnt"][0] == 0o040755
    assert by_name["dev/console"][0] == 0o020600
    # Directories come before what they hold.
    names = [name for name, *_ in entries]
    assert names.index("bin") < names.index("bin/busybox")


def test_initramfs_without_module():
    entries, _ = read_newc(gzip.decompress(gi.initramfs("x86_64", b"BUSYBOX")))
    names = [name for name, *_ in entries]
    assert "lib/modules/efivarfs.ko" not in names
    assert "lib/modules/load" not in names


# --- kernel modules ----------------------------------------------------------

MODULES = FIXTURES / "modules"


def elf_with_modinfo(modinfo):
    """A minimal 64-bit little-endian ELF file whose only named section is .modinfo."""
    names = b"\0.modinfo\0.shstrtab\0"
    data_offset = 64
    names_offset = data_offset + len(modinfo)
    shoff = names_offset + len(names)
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", header, 0x28, shoff)
    struct.pack_into("<HHH", header, 0x3A, 64, 3, 2)
    sections = bytes(64)  # the null section
    sections += struct.pack("<IIQQQQ", 1, 1, 0, 0, data_offset, len(modinfo)) + bytes(24)
    sections += struct.pack("<IIQQQQ", 10, 3, 0, 0, names_offset, len(names)) + bytes(24)
    return bytes(header) + modinfo + names + sections


@pytest.mark.parametrize("arch", ["arm64", "amd64"])
def test_module_depends_of_a_recorded_debian_module(arch):
    data = (MODULES / f"nf_conntrack_snmp-{arch}.ko").read_bytes()
    assert gi.module_depends(data) == ["nf_conntrack", "nf_conntrack_broadcast"]
    assert gi.elf_section(data, ".no-such-section") is None


def test_module_depends_of_a_module_without_any():
    assert gi.module_depends(elf_with_modinfo(b"license=GPL\0depends=\0name=x\0")) == []
    assert gi.module_depends(elf_with_modinfo(b"license=GPL\0")) == []


def test_module_depends_spells_names_as_the_kernel_does():
    data = elf_with_modinfo(b"depends=virtio-ring,scsi_mod\0")
    assert gi.module_depends(data) == ["virtio_ring", "scsi_mod"]


def test_elf_section_refuses_what_is_not_elf64_le():
    with pytest.raises(gi.GuestImageError, match="64-bit little-endian ELF"):
        gi.elf_section(b"MZ\0\0" + bytes(60), ".modinfo")


@pytest.mark.parametrize("arch", ["arm64", "amd64"])
def test_module_load_order_on_the_recorded_cloud_kernels(arch):
    """Dependencies first, each module once, for the cloud kernels' real dependencies."""
    recorded = json.loads((MODULES / "depends.json").read_text())[arch]
    available = {
        name: elf_with_modinfo(f"depends={','.join(deps)}\0".encode())
        for name, deps in recorded["depends"].items()
    }
    order = [name for name, _ in gi.module_load_order(gi.GUEST_MODULES, available)]
    assert sorted(order) == sorted(recorded["depends"])
    for position, name in enumerate(order):
        assert set(recorded["depends"][name]) <= set(order[:position]), name
    # Each wanted module comes after all it needs, and in the wanted order.
    assert [n for n in order if n in gi.GUEST_MODULES] == list(gi.GUEST_MODULES)


def test_module_load_order_skips_built_in_modules():
    available = {
        "sr_mod": elf_with_modinfo(b"depends=cdrom,scsi_mod\0"),
        "cdrom": elf_with_modinfo(b"depends=\0"),
    }
    order = gi.module_load_order(["sr_mod"], available, builtin={"scsi_mod"})
    assert [name for name, _ in order] == ["cdrom", "sr_mod"]


def test_module_load_order_names_a_missing_module_and_who_needs_it():
    available = {"sr_mod": elf_with_modinfo(b"depends=cdrom\0")}
    with pytest.raises(gi.GuestImageError, match=r"cdrom \(needed by sr_mod\)"):
        gi.module_load_order(["sr_mod"], available)


def test_kernel_modules_reads_an_unpacked_tree(tmp_path):
    tree = tmp_path / "6.1.0-57-cloud-arm64"
    (tree / "kernel" / "drivers" / "char").mkdir(parents=True)
    (tree / "kernel" / "drivers" / "char" / "virtio-rng.ko").write_bytes(b"RNG")
    (tree / "kernel" / "drivers" / "char" / "README").write_text("not a module")
    (tree / "modules.builtin").write_text("kernel/fs/ext4/ext4.ko\nkernel/lib/crc-t10dif.ko\n")
    available, builtin = gi.kernel_modules(str(tree))
    assert available == {"virtio_rng": b"RNG"}
    assert builtin == {"ext4", "crc_t10dif"}


# --- unified kernel image ----------------------------------------------------


def pe_header(image):
    pe = struct.unpack_from("<I", image, 0x3C)[0]
    optional = pe + 24
    return {
        "sections": struct.unpack_from("<H", image, pe + 6)[0],
        "section_alignment": struct.unpack_from("<I", image, optional + 32)[0],
        "file_alignment": struct.unpack_from("<I", image, optional + 36)[0],
        "size_of_image": struct.unpack_from("<I", image, optional + 56)[0],
        "checksum": struct.unpack_from("<I", image, optional + 64)[0],
    }


@pytest.mark.parametrize(
    ("stub", "machine", "stub_size"),
    [("linuxaa64.efi.stub.headers", 0xAA64, 74196), ("linuxx64.efi.stub.headers", 0x8664, 83297)],
)
def test_pe_add_sections_on_debian_stubs(stub, machine, stub_size):
    headers = (FIXTURES / stub).read_bytes()
    # The recorded headers, padded to the stub's real length.
    original = headers + b"\0" * (stub_size - len(headers))
    before = gi.pe_sections(original)
    added = [(".osrel", b"ID=x\n"), (".cmdline", b"console=ttyAMA0\0"), (".linux", b"K" * 5000)]
    image = gi.pe_add_sections(original, added, machine)
    header = pe_header(image)
    sections = gi.pe_sections(image)
    assert sections[: len(before)] == before
    assert [s[0] for s in sections[len(before) :]] == [".osrel", ".cmdline", ".linux"]
    end_before = max(vaddr + max(vsize, rsize) for _, vsize, vaddr, rsize, _ in before)
    previous_end = end_before
    for (name, data), (_, vsize, vaddr, rsize, rptr) in zip(
        added, sections[len(before) :], strict=True
    ):
        assert vsize == len(data)
        assert vaddr % header["section_alignment"] == 0
        assert vaddr >= previous_end
        assert rptr % header["file_alignment"] == 0 and rsize % header["file_alignment"] == 0
        assert rptr >= stub_size
        assert image[rptr : rptr + vsize] == data, name
        previous_end = vaddr + vsize
    assert header["sections"] == len(before) + 3
    assert header["size_of_image"] % header["section_alignment"] == 0
    assert header["size_of_image"] >= previous_end
    assert header["checksum"] == 0
    # The stub's own bytes are untouched outside its header area.
    assert image[len(headers) : stub_size] == original[len(headers) : stub_size]


def test_pe_add_sections_aarch64_addresses():
    """On the arm64 stub new sections start after SizeOfImage 0x10e00, at 0x11000."""
    original = (FIXTURES / "linuxaa64.efi.stub.headers").read_bytes()
    original += b"\0" * (74196 - len(original))
    image = gi.pe_add_sections(original, [(".osrel", b"x" * 10), (".linux", b"y" * 0x1001)], 0xAA64)
    new = gi.pe_sections(image)[2:]
    assert [(name, vaddr) for name, _, vaddr, _, _ in new] == [
        (".osrel", 0x11000),
        (".linux", 0x12000),
    ]
    assert pe_header(image)["size_of_image"] == 0x14000


def test_pe_add_sections_errors():
    stub = (FIXTURES / "linuxaa64.efi.stub.headers").read_bytes()
    with pytest.raises(gi.GuestImageError, match="no MZ header"):
        gi.pe_add_sections(b"\0" * 512, [], 0xAA64)
    with pytest.raises(gi.GuestImageError, match=r"for PE machine 0xaa64, not 0x8664"):
        gi.pe_add_sections(stub, [], 0x8664)
    with pytest.raises(gi.GuestImageError, match="longer than 8 bytes"):
        gi.pe_add_sections(stub, [(".toolongname", b"")], 0xAA64)
    with pytest.raises(gi.GuestImageError, match=r"already has a \.data section"):
        gi.pe_add_sections(stub, [(".data", b"")], 0xAA64)
    with pytest.raises(gi.GuestImageError, match="no room for 100 more section headers"):
        gi.pe_add_sections(stub, [(f".s{i}", b"") for i in range(100)], 0xAA64)
    broken = bytearray(stub)
    broken[0x40:0x44] = b"XX\0\0"
    with pytest.raises(gi.GuestImageError, match="no PE signature"):
        gi.pe_add_sections(bytes(broken), [], 0xAA64)


def test_unified_kernel_image_section_order():
    stub = (FIXTURES / "linuxaa64.efi.stub.headers").read_bytes()
    spec = gi.recipe("aarch64", "bookworm", PACKAGES)
    image = gi.unified_kernel_image("aarch64", stub, b"MZkernel", b"initrd", spec)
    names = [name for name, *_ in gi.pe_sections(image)]
    assert names == [".text", ".data", ".osrel", ".cmdline", ".initrd", ".linux"]
    cmdline = next(s for s in gi.pe_sections(image) if s[0] == ".cmdline")
    assert image[cmdline[4] : cmdline[4] + cmdline[1]] == b"console=ttyAMA0 panic=30\0"


# --- disk --------------------------------------------------------------------


def test_disk_layout_of_the_aarch64_image():
    """The measured UKI (28379136 bytes) fits the 36 MiB minimum: a 38 MiB disk."""
    layout = gi.disk_layout(28379136)
    assert layout["esp_offset"] == 1024 * 1024
    assert layout["esp_bytes"] == 36 * 1024 * 1024
    assert layout["esp_sectors"] == 73728
    assert layout["disk_bytes"] == 39845888
    assert layout["fat_bits"] == 32


def test_disk_layout_grows_with_payload():
    layout = gi.disk_layout(100 * 1024 * 1024 + 1)
    assert layout["esp_bytes"] == (101 + 2) * 1024 * 1024
    assert layout["disk_bytes"] == layout["esp_offset"] + layout["esp_bytes"] + 1024 * 1024
    # The backup GPT (33 sectors) fits after the ESP.
    assert layout["disk_bytes"] - layout["esp_offset"] - layout["esp_bytes"] >= 33 * 512


def test_disk_layout_refuses_negative():
    with pytest.raises(gi.GuestImageError, match="negative"):
        gi.disk_layout(-1)


def test_sfdisk_script_and_mkfs_args():
    layout = gi.disk_layout(1000)
    guids = gi.disk_guids("ad22568b758c9b6b")
    script = gi.sfdisk_script(layout, guids)
    assert script.splitlines() == [
        "label: gpt",
        f"label-id: {guids['disk']}",
        "first-lba: 2048",
        "sector-size: 512",
        "",
        f"start=2048, size=73728, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, "
        f'uuid={guids["esp"]}, name="EFI System Partition"',
    ]
    args = gi.mkfs_vfat_args(layout, guids, "/tmp/esp.img")
    assert args[:3] == ["mkfs.vfat", "-C", "--invariant"]
    assert args[-2:] == ["/tmp/esp.img", str(36 * 1024)]
    assert args[args.index("-i") + 1] == "ad22568b"
    assert args[args.index("-F") + 1] == "32"


# --- Debian packages ---------------------------------------------------------


def test_parse_control_recorded_output():
    meta = gi.parse_control((FIXTURES / "apt-cache-show-linux-image-cloud-arm64.txt").read_text())
    assert len(meta) == 1
    assert meta[0]["Depends"] == "linux-image-6.1.0-56-cloud-arm64 (= 6.1.192-2)"
    packages = gi.parse_control((FIXTURES / "apt-cache-show-arm64-packages.txt").read_text())
    assert {p["Package"]: p["Version"] for p in packages} == PACKAGES
    busybox = next(p for p in packages if p["Package"] == "busybox-static")
    assert re.fullmatch(r"[0-9a-f]{64}", busybox["SHA256"])


def test_parse_control_continuation_lines():
    text = "Package: a\nDescription: one\n two\n\nPackage: b\nVersion: 1\n"
    assert gi.parse_control(text) == [
        {"Package": "a", "Description": "one\ntwo"},
        {"Package": "b", "Version": "1"},
    ]


def test_kernel_dependency():
    depends = "linux-image-6.1.0-56-cloud-arm64 (= 6.1.192-2)"
    assert gi.kernel_dependency("linux-image-cloud-arm64", depends) == (
        "linux-image-6.1.0-56-cloud-arm64"
    )
    assert gi.kernel_dependency("m", "foo (>= 1), linux-image-6.1.0-9-amd64 | bar") == (
        "linux-image-6.1.0-9-amd64"
    )
    with pytest.raises(gi.GuestImageError, match="depends on no linux-image package"):
        gi.kernel_dependency("linux-image-cloud-arm64", "linux-image-cloud-arm64, initramfs-tools")


def test_sources_list():
    text = gi.sources_list("arm64", "bookworm", "http://m/debian", "http://m/debian-security")
    assert text.splitlines() == [
        "deb [arch=arm64] http://m/debian bookworm main",
        "deb [arch=arm64] http://m/debian bookworm-updates main",
        "deb [arch=arm64] http://m/debian-security bookworm-security main",
    ]
    assert "security" not in gi.sources_list("arm64", "bookworm", "http://m/debian", "")


def test_apt_options_keep_the_host_state_apart():
    args = gi.apt_options("arm64", "/c/apt/arm64-bookworm", proxy="http://gw:3142")
    options = dict(a.split("=", 1) for a in args if a != "-o")
    assert args.count("-o") == len(options)
    assert options["APT::Architecture"] == options["APT::Architectures"] == "arm64"
    assert options["Dir::State::Status"] == "/dev/null"
    assert options["Dir::State::Lists"] == "/c/apt/arm64-bookworm/lists"
    assert options["Dir::Etc::SourceList"] == "/c/apt/arm64-bookworm/sources.list"
    assert options["Acquire::http::Proxy"] == "http://gw:3142"
    assert "Acquire::http::Proxy" not in dict(
        a.split("=", 1) for a in gi.apt_options("arm64", "/c") if a != "-o"
    )


def test_command_summary_drops_apt_options():
    argv = ["apt-cache", "-o", "Dir::Cache=/x", "show", "busybox-static"]
    assert gi.command_summary(argv) == ["apt-cache", "show", "busybox-static"]


def test_file_digests(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert gi.file_digests(path) == {
        "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "md5": "900150983cd24fb0d6963f7d28e17f72",
        "size": 3,
    }


# --- the builder, with recorded apt answers ----------------------------------


class FakeApt:
    """Answers apt-get and apt-cache as the recorded arm64 state did."""

    def __init__(self, deb_content=b"deb"):
        self.calls = []
        self.deb_content = deb_content

    def __call__(self, argv, cwd=None, env=None, data=None):
        self.calls.append((gi.command_summary(argv), cwd))
        words = [w for w in gi.command_summary(argv) if w != "-q"]
        if words[:2] == ["apt-cache", "show"]:
            names = words[3:]
            if names == ["linux-image-cloud-arm64"]:
                return 0, (FIXTURES / "apt-cache-show-linux-image-cloud-arm64.txt").read_text(), ""
            return 0, (FIXTURES / "apt-cache-show-arm64-packages.txt").read_text(), ""
        if words[:2] == ["apt-get", "download"]:
            name, version = words[2].split("=")
            Path(cwd, f"{name}_{version.replace(':', '%3a')}_arm64.deb").write_bytes(
                self.deb_content
            )
            return 0, "", ""
        if words[-1] == "update":
            return 0, "", ""
        return 1, "", f"unexpected command {words}"


def builder(tmp_path, run):
    return gi.GuestImageBuilder(
        run, "arm64", "bookworm", str(tmp_path), "http://m/debian", "http://m/debian-security"
    )


def test_builder_update_writes_private_sources_and_stamp(tmp_path):
    fake = FakeApt()
    b = builder(tmp_path, fake)
    assert b.lists_age() is None
    b.update()
    apt_dir = tmp_path / "apt" / "arm64-bookworm"
    assert (
        (apt_dir / "sources.list")
        .read_text()
        .startswith("deb [arch=arm64] http://m/debian bookworm main\n")
    )
    assert (apt_dir / "lists" / "partial").is_dir()
    assert 0 <= b.lists_age() < 60
    assert fake.calls == [(["apt-get", "-q", "update"], None)]


def test_builder_resolves_the_kernel_metapackage(tmp_path):
    fake = FakeApt()
    resolved = builder(tmp_path, fake).resolve()
    assert {name: fields["Version"] for name, fields in resolved.items()} == PACKAGES
    assert [words for words, _ in fake.calls] == [
        ["apt-cache", "show", "--no-all-versions", "linux-image-cloud-arm64"],
        [
            "apt-cache",
            "show",
            "--no-all-versions",
            "linux-image-6.1.0-56-cloud-arm64",
            "busybox-static",
            "systemd-boot-efi",
        ],
    ]


def test_builder_names_a_package_without_candidate(tmp_path):
    def run(argv, cwd=None, env=None, data=None):
        return 0, "Package: other\nVersion: 1\n", ""

    with pytest.raises(
        gi.GuestImageError, match=r"busybox-static \(arm64\): no candidate in bookworm"
    ):
        builder(tmp_path, run).show("busybox-static")


def test_builder_reports_a_failing_command(tmp_path):
    def run(argv, cwd=None, env=None, data=None):
        return 100, "", "E: Unable to locate package nope"

    with pytest.raises(
        gi.GuestImageError,
        match=r"apt-cache show --no-all-versions nope failed \(rc=100\): E: Unable to locate",
    ):
        builder(tmp_path, run).show("nope")


def test_builder_download_checks_the_archive_hash(tmp_path):
    fake = FakeApt(deb_content=b"not the real package")
    b = builder(tmp_path, fake)
    resolved = b.resolve()
    with pytest.raises(gi.GuestImageError, match="SHA256 differs from the archive's; removed it"):
        b.download("busybox-static", resolved["busybox-static"])
    fake.deb_content = b"deb"
    fields = dict(resolved["busybox-static"], SHA256=hashlib.sha256(b"deb").hexdigest())
    path = b.download("busybox-static", fields)
    assert path.endswith(
        "/debs/arm64/busybox-static_1%3a1.35.0-4+deb12u1+b1/"
        "busybox-static_1%3a1.35.0-4+deb12u1+b1_arm64.deb"
    )
    calls = len(fake.calls)
    assert b.download("busybox-static", fields) == path
    assert len(fake.calls) == calls, "a downloaded package is not fetched again"


def test_builder_cache_lookup(tmp_path):
    b = builder(tmp_path, FakeApt())
    spec = b.recipe(b.resolve())
    image, manifest = b.paths(spec)
    assert image.endswith(f"/images/{gi.image_name(spec)}")
    assert manifest == image[:-4] + ".json"
    assert b.cached(spec) is None
    os.makedirs(os.path.dirname(image))
    Path(image).write_bytes(b"x" * 10)
    Path(manifest).write_text(f'{{"key": "{gi.recipe_key(spec)}", "size": 10}}')
    assert b.cached(spec)["size"] == 10
    Path(image).write_bytes(b"x" * 9)
    assert b.cached(spec) is None, "a truncated image is rebuilt"
