"""Build the test guest image from the Debian archive and boot it under QEMU (TCG).

Each architecture's image is built by the guest_image_build module as Ansible
runs it (its Python, its JSON arguments), twice: the second run must find it
in the cache. Then the image boots twice through the UEFI firmware that
QEMU's descriptors select (AAVMF for aarch64, OVMF for x86_64), with one
NVRAM file kept across both boots, as nova keeps an instance's. The first
boot must print the marker line and write the UEFI variable, the second must
find it. Both boots have a CD-ROM on virtio-scsi, as the test images'
hw_cdrom_bus=scsi and hw_scsi_model=virtio-scsi ask nova for. It is empty on
the first boot (the guest must report no config drive) and holds a config
drive made as nova makes one (genisoimage, the same options) on the second:
the guest must report the instance UUID written in it.

Needs the Debian archive (or DOZEN_APT_PROXY, an apt proxy such as an
apt-cacher-ng), the host tools of scripts/install-host-deps, and
qemu-system-<arch> with its firmware package; otherwise the tests skip and
say what is missing. DOZEN_GUEST_IMAGE_CACHE keeps the images between runs
(default ~/.cache/dozencloud/guest-images, as the module's).
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils import guest_image as gi
from ansible_collections.dozencloud.cloud.plugins.module_utils.firmware import (
    FirmwareError,
    select_firmware,
)
from ansible_collections.dozencloud.cloud.plugins.module_utils.host import (
    HostReader,
    host_firmware,
)

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".collections"
MODULE = "ansible_collections.dozencloud.cloud.plugins.modules.guest_image_build"
BUILD_TOOLS = ("apt-get", "apt-cache", "dpkg-deb", "mkfs.vfat", "mmd", "mcopy", "sfdisk")
INSTANCE_UUID = "6f1f3c52-1d7e-4b8e-a8a4-3c2b7d9e0f11"
BOOT_TIMEOUT = int(os.environ.get("DOZEN_GUEST_BOOT_TIMEOUT", "300"))

# How QEMU runs each guest architecture here (TCG: no KVM for either).
QEMU = {
    "aarch64": {
        "binary": "qemu-system-aarch64",
        "machine": "virt",
        "args": ["-M", "virt", "-cpu", "cortex-a57"],
    },
    "x86_64": {"binary": "qemu-system-x86_64", "machine": "q35", "args": ["-M", "q35"]},
}
ARCHES = ["aarch64", "x86_64"]


def cache_dir():
    return os.environ.get("DOZEN_GUEST_IMAGE_CACHE", "~/.cache/dozencloud/guest-images")


def run_module(tmp_path, **args):
    """Run guest_image_build as Ansible would, and return its JSON result."""
    args_file = tmp_path / f"args-{time.monotonic_ns()}.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    proc = subprocess.run(
        [sys.executable, "-m", MODULE, str(args_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not result.get("failed"), result.get("msg")
    return result


@pytest.fixture(scope="module", params=ARCHES)
def image(request, tmp_path_factory):
    """The built image of one architecture, and its two module results."""
    missing = [tool for tool in BUILD_TOOLS if not shutil.which(tool)]
    if missing:
        pytest.skip(f"image build tools missing: {', '.join(missing)} (scripts/install-host-deps)")
    arch = request.param
    tmp_path = tmp_path_factory.mktemp(f"image-{arch}")
    args = {"architecture": arch, "cache_dir": cache_dir()}
    if os.environ.get("DOZEN_APT_PROXY"):
        args["proxy"] = os.environ["DOZEN_APT_PROXY"]
    started = time.monotonic()
    first = run_module(tmp_path, **args)
    first_seconds = time.monotonic() - started
    started = time.monotonic()
    second = run_module(tmp_path, **args)
    print(
        f"\n{arch}: module run 1 {first_seconds:.1f} s (built={first['built']}), "
        f"run 2 {time.monotonic() - started:.1f} s; {first['size']} bytes, key {first['key']}"
    )
    return {"arch": arch, "first": first, "second": second, "tmp": tmp_path}


def firmware_for(arch):
    """The firmware QEMU's descriptors offer for plain UEFI, as nova 26 picks it."""
    descriptors, _ = host_firmware(HostReader())
    try:
        return select_firmware(
            descriptors, arch, QEMU[arch]["machine"], features_excluded=["secure-boot"]
        )
    except FirmwareError as exc:
        pytest.skip(f"no {arch} UEFI firmware here: {exc}")


def config_drive(directory):
    """A config drive holding INSTANCE_UUID, made with nova's genisoimage options."""
    if shutil.which("genisoimage") is None:
        pytest.skip("genisoimage is not installed (scripts/install-host-deps)")
    tree = directory / "config-drive"
    (tree / "openstack" / "latest").mkdir(parents=True)
    (tree / "openstack" / "latest" / "meta_data.json").write_text(
        json.dumps({"uuid": INSTANCE_UUID, "name": "dozen-image-test", "meta": {}})
    )
    iso = directory / "config-drive.iso"
    # nova/virt/configdrive.py, ConfigDriveBuilder._make_iso9660.
    subprocess.run(
        ["genisoimage", "-o", str(iso), "-ldots", "-allow-lowercase", "-allow-multidot", "-l",
         "-publisher", "DozenCloud image test", "-quiet", "-J", "-r", "-V", "config-2",
         str(tree)],
        check=True,
    )  # fmt: skip
    return iso


def boot(arch, disk, vars_file, log, cdrom=None):
    """Boot until the marker line; returns (seconds, console text)."""
    binary = shutil.which(QEMU[arch]["binary"])
    if binary is None:
        pytest.skip(f"{QEMU[arch]['binary']} is not installed")
    firmware = firmware_for(arch)
    command = [
        binary,
        *QEMU[arch]["args"],
        "-m",
        "512",
        "-nographic",
        "-net",
        "none",
        "-drive",
        f"if=pflash,format=raw,readonly=on,file={firmware['loader']}",
        "-drive",
        f"if=pflash,format=raw,file={vars_file}",
        # snapshot: the cached image stays as built.
        "-drive",
        f"file={disk},format=raw,if=virtio,snapshot=on",
    ]
    # A CD-ROM on bus scsi with a virtio-scsi controller, as libvirt attaches
    # nova's config drive. The same devices on every boot, with or without a
    # disc: the firmware's boot entries in the NVRAM name devices by their PCI
    # path, and a device added later moves the disk and breaks them.
    media = f"file={cdrom},format=raw," if cdrom is not None else ""
    command += [
        "-device", "virtio-scsi-pci,id=scsi0",
        "-drive", f"{media}if=none,id=cd0,media=cdrom,readonly=on",
        "-device", "scsi-cd,drive=cd0,bus=scsi0.0",
    ]  # fmt: skip
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    try:
        while time.monotonic() - started < BOOT_TIMEOUT:
            text = Path(log).read_bytes().decode(errors="replace")
            if gi.parse_marker(text):
                return time.monotonic() - started, text
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        text = Path(log).read_bytes().decode(errors="replace")
        raise AssertionError(
            f"{arch}: no marker line after {time.monotonic() - started:.0f} s "
            f"(qemu rc={proc.poll()}); console tail:\n{text[-3000:]}"
        )
    finally:
        proc.kill()
        proc.wait()


def test_second_build_is_cached(image):
    first, second = image["first"], image["second"]
    assert second["changed"] is False
    assert second["built"] is False
    assert (second["path"], second["sha256"], second["key"]) == (
        first["path"],
        first["sha256"],
        first["key"],
    )
    assert second["architecture"] == image["arch"]
    assert second["size"] < 64 * 1024 * 1024, "the test image should stay small"


def test_disk_is_gpt_with_one_esp_holding_the_uki(image):
    disk = image["first"]["path"]
    table = json.loads(
        subprocess.run(
            ["sfdisk", "--json", disk], capture_output=True, text=True, check=True
        ).stdout
    )["partitiontable"]
    assert table["label"] == "gpt"
    [esp] = table["partitions"]
    assert esp["type"] == gi.ESP_TYPE_GUID
    assert esp["start"] == gi.ESP_START_LBA
    boot_file = gi.GUEST_ARCHES[image["arch"]]["efi_boot_file"]
    listing = subprocess.run(
        ["mdir", "-b", "-i", f"{disk}@@{esp['start'] * 512}", "::/EFI/BOOT"],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, MTOOLS_SKIP_CHECK="1"),
    ).stdout
    assert f"::/EFI/BOOT/{boot_file}" in listing


def test_boots_to_marker_and_keeps_the_uefi_variable(image):
    arch = image["arch"]
    firmware = firmware_for(arch)
    vars_file = image["tmp"] / "vars.fd"
    shutil.copyfile(firmware["nvram_template"], vars_file)
    disk = image["first"]["path"]

    seconds1, console1 = boot(arch, disk, vars_file, image["tmp"] / "boot1.log")
    first = gi.parse_marker(console1)
    cdrom = config_drive(image["tmp"])
    seconds2, console2 = boot(arch, disk, vars_file, image["tmp"] / "boot2.log", cdrom=cdrom)
    second = gi.parse_marker(console2)
    print(
        f"\n{arch}: boot to marker {seconds1:.1f} s, then {seconds2:.1f} s "
        f"({firmware['loader']})\n  {first['line']}\n  {second['line']}"
    )

    for marker in (first, second):
        assert marker["arch"] == arch
        assert marker["page_size"] == "4096"
        assert marker["kernel"] == image["first"]["kernel_release"]
        assert marker["firmware"] == "uefi"
    assert first["uefi_var"] == "absent"
    assert first["uefi_var_write"] == "ok"
    assert second["uefi_var"] == "present"
    assert second["uefi_var_value"] == first["boot_id"] != second["boot_id"]
    assert first["config_drive"] == "none"
    assert second["config_drive"] == INSTANCE_UUID
