"""Firmware selection over Debian 12's real descriptors (fixtures/firmware/debian12)."""

import json

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils import firmware as fw


def _loaded(directories):
    found, errors = fw.load_descriptors(directories)
    assert errors == []
    return found


@pytest.fixture
def descriptors(debian12_directories):
    return _loaded(debian12_directories)


def test_descriptors_are_sorted_by_file_name(descriptors):
    assert [d["name"] for d in descriptors] == [
        "40-edk2-aarch64-secure-enrolled.json",
        "40-edk2-x86_64-secure-enrolled.json",
        "50-edk2-aarch64-secure.json",
        "50-edk2-x86_64-secure.json",
        "60-edk2-aarch64.json",
        "60-edk2-arm.json",
        "60-edk2-x86_64.json",
    ]


def test_descriptor_is_normalised(descriptors):
    aavmf = next(d for d in descriptors if d["name"] == "60-edk2-aarch64.json")
    assert aavmf == {
        "name": "60-edk2-aarch64.json",
        "path": "/usr/share/qemu/firmware/60-edk2-aarch64.json",
        "description": "UEFI firmware for aarch64",
        "interface_types": ["uefi"],
        "device": "flash",
        "mode": "split",
        "executable": "/usr/share/AAVMF/AAVMF_CODE.fd",
        "executable_format": "raw",
        "nvram_template": "/usr/share/AAVMF/AAVMF_VARS.fd",
        "nvram_template_format": "raw",
        "targets": [{"architecture": "aarch64", "machines": ["virt-*"]}],
        "features": ["verbose-static"],
        "tags": [],
    }


def test_first_match_wins(descriptors):
    # 40-...-secure-enrolled sorts first and offers every feature of the others.
    choice = fw.select_firmware(descriptors, "arm64", "virt")
    assert choice["descriptor"]["name"] == "40-edk2-aarch64-secure-enrolled.json"
    assert choice["loader"] == "/usr/share/AAVMF/AAVMF_CODE.ms.fd"
    assert choice["nvram_template"] == "/usr/share/AAVMF/AAVMF_VARS.ms.fd"


def test_excluded_features_skip_descriptors(descriptors):
    choice = fw.select_firmware(
        descriptors, "aarch64", "virt-7.2", features_excluded=["secure-boot"]
    )
    assert choice["loader"] == "/usr/share/AAVMF/AAVMF_CODE.fd"
    assert (choice["mode"], choice["device"], choice["loader_format"]) == ("split", "flash", "raw")


def test_secure_boot_without_enrolled_keys(descriptors):
    choice = fw.select_firmware(
        descriptors,
        "amd64",
        "pc-q35-7.2",
        features_required=["secure-boot"],
        features_excluded=["enrolled-keys"],
    )
    assert choice["loader"] == "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"


def test_i440fx_only_gets_the_plain_ovmf(descriptors):
    choice = fw.select_firmware(descriptors, "x86_64", "pc")
    assert choice["descriptor"]["name"] == "60-edk2-x86_64.json"


def test_armv7l_uses_the_qemu_arm_target(descriptors):
    choice = fw.select_firmware(descriptors, "armhf", "virt-7.2")
    assert choice["loader"] == "/usr/share/AAVMF/AAVMF32_CODE.fd"


@pytest.mark.parametrize(
    ("machine", "patterns", "matches"),
    [
        ("virt-7.2", ["virt-*"], True),
        ("virt", ["virt-*"], True),
        ("virt", ["virt-7.*"], False),
        ("q35", ["pc-q35-*"], True),
        ("pc", ["pc-q35-*"], False),
        ("virt-7.2", ["pc-q35-*", "virt-7.*"], True),
        ("sbsa-ref", ["virt-*"], False),
    ],
)
def test_machine_globs(machine, patterns, matches):
    assert fw.machine_matches(machine, patterns) is matches


def test_failure_names_architecture_machine_reasons_and_packages(descriptors):
    with pytest.raises(fw.FirmwareError) as caught:
        fw.select_firmware(descriptors, "armv7l", "virt", features_required=["secure-boot"])
    message = str(caught.value)
    assert "uefi firmware for armv7l machine 'virt' with secure-boot" in message
    assert "60-edk2-arm.json: lacks secure-boot" in message
    assert "40-edk2-aarch64-secure-enrolled.json: architecture aarch64" in message
    assert message.endswith("install qemu-efi-arm (Debian), edk2-arm (RedHat)")


def test_failure_with_no_descriptors_names_the_family_package():
    with pytest.raises(fw.FirmwareError) as caught:
        fw.select_firmware([], "aarch64", "virt", os_family="Suse")
    assert "no descriptors were found" in str(caught.value)
    assert str(caught.value).endswith("install qemu-uefi-aarch64 (Suse)")


def test_failure_for_bios_names_no_package(descriptors):
    with pytest.raises(fw.FirmwareError, match=r"no known distribution package provides it"):
        fw.select_firmware(descriptors, "x86_64", "pc", interface="bios")


def test_failure_reasons_cover_machine_and_exclusion(descriptors):
    with pytest.raises(fw.FirmwareError) as caught:
        fw.select_firmware(descriptors, "x86_64", "pc-i440fx-7.2", features_excluded=["amd-sev"])
    message = str(caught.value)
    assert "40-edk2-x86_64-secure-enrolled.json: machines pc-q35-*" in message
    assert "60-edk2-x86_64.json: has excluded amd-sev" in message
    assert "without amd-sev" in message


@pytest.mark.parametrize(
    ("arch", "machine", "kwargs", "message"),
    [
        ("sparc", "virt", {}, r"unknown architecture 'sparc'"),
        ("aarch64", "", {}, r"machine type '' is not a machine type name"),
        (
            "aarch64",
            "virt",
            {"features_required": ["secure-boot"], "features_excluded": ["secure-boot"]},
            r"features secure-boot are both required and excluded",
        ),
    ],
)
def test_malformed_requests(descriptors, arch, machine, kwargs, message):
    with pytest.raises(fw.FirmwareError, match=message):
        fw.select_firmware(descriptors, arch, machine, **kwargs)


def test_etc_overrides_and_hides(debian12_directories):
    replacement = json.dumps(
        {
            "description": "site AAVMF",
            "interface-types": ["uefi"],
            "mapping": {
                "device": "flash",
                "mode": "stateless",
                "executable": {"filename": "/srv/AAVMF_CODE.fd", "format": "raw"},
            },
            "targets": [{"architecture": "aarch64", "machines": ["virt-*"]}],
            "features": [],
            "tags": [],
        }
    )
    etc = {
        "40-edk2-aarch64-secure-enrolled.json": "",
        "50-edk2-aarch64-secure.json": "",
        "60-edk2-aarch64.json": replacement,
        "README": "not a descriptor",
    }
    directories = [debian12_directories[0], ("/etc/qemu/firmware", etc)]
    found, errors = fw.load_descriptors(directories)
    assert errors == []
    names = [d["name"] for d in found]
    assert "50-edk2-aarch64-secure.json" not in names
    assert "README" not in names
    choice = fw.select_firmware(found, "aarch64", "virt")
    assert choice["descriptor"]["path"] == "/etc/qemu/firmware/60-edk2-aarch64.json"
    assert (choice["loader"], choice["nvram_template"], choice["mode"]) == (
        "/srv/AAVMF_CODE.fd",
        None,
        "stateless",
    )


def test_memory_mapped_firmware():
    # The SeaBIOS example of docs/interop/firmware.json.
    document = {
        "description": "SeaBIOS",
        "interface-types": ["bios"],
        "mapping": {"device": "memory", "filename": "/usr/share/seabios/bios-256k.bin"},
        "targets": [{"architecture": "x86_64", "machines": ["pc-i440fx-*", "pc-q35-*"]}],
        "features": ["acpi-s3", "acpi-s4"],
        "tags": ["CONFIG_BOOTSPLASH=n"],
    }
    found, _ = fw.load_descriptors(
        [("/etc/qemu/firmware", {"50-seabios.json": json.dumps(document)})]
    )
    choice = fw.select_firmware(found, "x86_64", "pc", interface="bios")
    assert choice["loader"] == "/usr/share/seabios/bios-256k.bin"
    assert (choice["device"], choice["mode"], choice["nvram_template"]) == ("memory", None, None)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("{not json", "Expecting property name"),
        ("[]", "the descriptor is not a JSON object"),
        ('{"mapping": {}}', "'mapping.device' is missing"),
        ('{"mapping": {"device": "flash", "executable": {}}}', "the flash mapping names no"),
    ],
)
def test_broken_descriptors_are_reported_not_fatal(content, error):
    found, errors = fw.load_descriptors([("/etc/qemu/firmware", {"10-bad.json": content})])
    assert found == []
    assert errors[0]["path"] == "/etc/qemu/firmware/10-bad.json"
    assert error in errors[0]["error"]


def test_packages_per_family():
    assert fw.firmware_packages("arm64") == {
        "Debian": "qemu-efi-aarch64",
        "RedHat": "edk2-aarch64",
        "Suse": "qemu-uefi-aarch64",
    }
    assert fw.firmware_packages("amd64", os_family="RedHat") == {"RedHat": "edk2-ovmf"}
    assert fw.firmware_packages("armv7l", os_family="Suse") == {}


def test_missing_files_are_recorded(descriptors):
    present = {"/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF_VARS.fd"}
    marked = fw.mark_missing_files(descriptors, present.__contains__)
    by_name = {d["name"]: d["missing_files"] for d in marked}
    assert by_name["60-edk2-aarch64.json"] == []
    assert by_name["50-edk2-aarch64-secure.json"] == ["/usr/share/AAVMF/AAVMF_CODE.secboot.fd"]
    assert by_name["60-edk2-x86_64.json"] == [
        "/usr/share/OVMF/OVMF_CODE_4M.fd",
        "/usr/share/OVMF/OVMF_VARS_4M.fd",
    ]


def test_descriptor_naming_a_missing_file_is_passed_over(descriptors):
    # Debian 12's secure-boot AAVMF descriptor names a loader no package ships;
    # the enrolled one (40-) is the only secure-boot AAVMF left.
    shipped = {
        "/usr/share/AAVMF/AAVMF_CODE.fd",
        "/usr/share/AAVMF/AAVMF_VARS.fd",
        "/usr/share/AAVMF/AAVMF_CODE.ms.fd",
        "/usr/share/AAVMF/AAVMF_VARS.ms.fd",
    }
    fw.mark_missing_files(descriptors, shipped.__contains__)
    with pytest.raises(fw.FirmwareError) as excinfo:
        fw.select_firmware(
            descriptors,
            "aarch64",
            "virt",
            features_required=["secure-boot"],
            features_excluded=["enrolled-keys"],
        )
    message = str(excinfo.value)
    assert "50-edk2-aarch64-secure.json: names /usr/share/AAVMF/AAVMF_CODE.secboot.fd" in message
    assert "install qemu-efi-aarch64 (Debian)" in message
    choice = fw.select_firmware(descriptors, "aarch64", "virt", features_required=["secure-boot"])
    assert choice["descriptor"]["name"] == "40-edk2-aarch64-secure-enrolled.json"


def test_descriptors_without_file_information_are_taken_as_present(descriptors):
    # Descriptors handed in as data (a recorded host, the filter) carry no missing_files.
    choice = fw.select_firmware(
        descriptors,
        "aarch64",
        "virt",
        features_required=["secure-boot"],
        features_excluded=["enrolled-keys"],
    )
    assert choice["loader"] == "/usr/share/AAVMF/AAVMF_CODE.secboot.fd"


@pytest.fixture
def sid(debian_sid_directories):
    return _loaded(debian_sid_directories)


def test_qemu_order_puts_the_memory_mapped_sev_firmware_first(sid):
    # Debian unstable's ovmf-amdsev sorts before the plain OVMF and asks for
    # no secure boot: by QEMU's first-match rule a plain q35 request gets it.
    choice = fw.select_firmware(sid, "x86_64", "q35", features_excluded=["secure-boot"])
    assert choice["descriptor"]["name"] == "60-edk2-x86_64-amdsev.json"
    assert (choice["device"], choice["nvram_template"]) == ("memory", None)


def test_nvram_required_passes_over_memory_mapped_firmware(sid):
    choice = fw.select_firmware(
        sid, "x86_64", "q35", features_excluded=["secure-boot"], nvram_required=True
    )
    assert choice["descriptor"]["name"] == "60-edk2-x86_64.json"
    assert choice["loader"] == "/usr/share/OVMF/OVMF_CODE_4M.fd"
    assert choice["nvram_template"] == "/usr/share/OVMF/OVMF_VARS_4M.fd"
    assert (choice["device"], choice["mode"]) == ("flash", "split")


def test_nvram_required_leaves_aarch64_as_it_was(sid):
    plain = fw.select_firmware(sid, "aarch64", "virt", features_excluded=["secure-boot"])
    kept = fw.select_firmware(
        sid, "aarch64", "virt", features_excluded=["secure-boot"], nvram_required=True
    )
    assert plain == kept
    assert kept["descriptor"]["name"] == "60-edk2-aarch64.json"


def test_nvram_required_failure_names_each_descriptor_without_nvram(sid):
    # Asking for SEV-SNP, only the memory-mapped image offers it.
    with pytest.raises(fw.FirmwareError) as excinfo:
        fw.select_firmware(
            sid, "x86_64", "q35", features_required=["amd-sev-snp"], nvram_required=True
        )
    message = str(excinfo.value)
    assert "with amd-sev-snp that keeps an NVRAM" in message
    amdsev = "60-edk2-x86_64-amdsev.json: maps the firmware as memory device, with no NVRAM"
    assert amdsev in message
    assert "60-edk2-x86_64.json: lacks amd-sev-snp" in message


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        # docs/interop/firmware.json's three flash modes, and a template-less split.
        ({"device": "flash", "mode": "stateless"}, "is stateless flash, with no NVRAM template"),
        ({"device": "flash", "mode": "combined"}, "is combined flash, with no NVRAM template"),
        ({"device": "flash", "mode": "split"}, "names no NVRAM template"),
        ({"device": "flash"}, "names no NVRAM template"),
        ({"device": "kernel"}, "maps the firmware as kernel device, with no NVRAM"),
    ],
)
def test_nvram_problems(debian12_directories, mapping, problem):
    # Debian 12's AAVMF descriptor with its mapping changed: the shapes the
    # interop spec allows and no Debian package ships.
    found, _ = fw.load_descriptors(debian12_directories)
    aavmf = next(d for d in found if d["name"] == "60-edk2-aarch64.json")
    changed = dict(aavmf, device=mapping["device"], mode=mapping.get("mode"), nvram_template=None)
    assert fw.nvram_problem(aavmf) is None
    assert fw.nvram_problem(changed) == problem
    with pytest.raises(fw.FirmwareError, match=problem):
        fw.select_firmware([changed], "aarch64", "virt", nvram_required=True)
    assert fw.select_firmware([changed], "aarch64", "virt")["descriptor"] is changed
