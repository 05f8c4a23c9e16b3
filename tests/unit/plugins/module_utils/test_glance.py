"""Glance image properties: build and lint, per architecture."""

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils import glance


def test_aarch64_defaults():
    assert glance.build_image_properties({"architecture": "arm64"}) == {
        "hw_architecture": "aarch64",
        "hw_firmware_type": "uefi",
        "hw_disk_bus": "virtio",
        "hw_cdrom_bus": "scsi",
        "hw_scsi_model": "virtio-scsi",
        "hw_machine_type": "virt",
        "hw_video_model": "virtio",
        "hw_serial_port_count": "1",
    }


def test_armv7l_defaults():
    props = glance.build_image_properties({"architecture": "armhf", "os_distro": "debian"})
    assert props["hw_architecture"] == "armv7l"
    assert props["hw_firmware_type"] == "uefi"
    assert props["hw_machine_type"] == "virt"
    assert props["hw_scsi_model"] == "virtio-scsi"
    assert props["os_distro"] == "debian"


def test_x86_64_defaults():
    assert glance.build_image_properties({"architecture": "x86_64"}) == {
        "hw_architecture": "x86_64",
        "hw_firmware_type": "bios",
        "hw_disk_bus": "virtio",
    }


def test_x86_64_secure_boot_brings_uefi_and_q35():
    props = glance.build_image_properties(
        {"architecture": "amd64", "secure_boot": "required", "os_type": "windows"}
    )
    assert props["hw_firmware_type"] == "uefi"
    assert props["hw_machine_type"] == "q35"
    assert props["os_secure_boot"] == "required"
    assert props["os_type"] == "windows"


def test_every_value_is_a_string():
    props = glance.build_image_properties(
        {
            "architecture": "aarch64",
            "qemu_guest_agent": True,
            "machine_type": "virt-7.2",
            "os_version": 12,
            "console": "vnc",
        }
    )
    assert all(isinstance(v, str) for v in props.values())
    assert props["hw_qemu_guest_agent"] == "yes"
    assert props["os_version"] == "12"
    assert "hw_serial_port_count" not in props


def test_explicit_scsi_disk_on_x86_keeps_the_chosen_model():
    props = glance.build_image_properties(
        {"architecture": "x86_64", "disk_bus": "scsi", "scsi_model": "lsilogic"}
    )
    assert props["hw_scsi_model"] == "lsilogic"


def test_scsi_disk_on_x86_defaults_to_virtio_scsi():
    props = glance.build_image_properties({"architecture": "x86_64", "disk_bus": "scsi"})
    assert props["hw_scsi_model"] == "virtio-scsi"


@pytest.mark.parametrize(
    ("spec", "fragments"),
    [
        ({}, ["architecture is missing", "fix: set architecture"]),
        ({"architecture": "sparc"}, ["architecture='sparc': unknown architecture"]),
        ({"architecture": "aarch64", "bus": "virtio"}, ["unknown image spec field(s) bus"]),
        (
            {"architecture": "aarch64", "firmware": "bios"},
            [
                "firmware='bios' (hw_firmware_type)",
                "no BIOS firmware exists for aarch64",
                "fix: use hw_firmware_type=uefi",
            ],
        ),
        (
            {"architecture": "armv7l", "firmware": "bios"},
            ["no BIOS firmware exists for armv7l"],
        ),
        (
            {"architecture": "x86_64", "firmware": "coreboot"},
            ["firmware='coreboot'", "unknown firmware type"],
        ),
        (
            {"architecture": "aarch64", "disk_bus": "nvme"},
            ["disk_bus='nvme' (hw_disk_bus): unknown bus"],
        ),
        (
            {"architecture": "aarch64", "cdrom_bus": "ide"},
            ["cdrom_bus='ide'", "no IDE or floppy controller", "fix: use scsi with virtio-scsi"],
        ),
        (
            {"architecture": "aarch64", "disk_bus": "fdc"},
            ["disk_bus='fdc'", "fix: use virtio"],
        ),
        (
            {"architecture": "x86_64", "machine_type": "q35", "cdrom_bus": "ide"},
            ["cdrom_bus='ide'", "the q35 machine type has no IDE controller", "fix: use sata"],
        ),
        (
            {"architecture": "aarch64", "scsi_model": "lsilogic"},
            [
                "scsi_model='lsilogic' (hw_scsi_model)",
                "config drive",
                "fix: set hw_scsi_model=virtio-scsi",
            ],
        ),
        ({"architecture": "x86_64", "scsi_model": "megaraid"}, ["unknown SCSI model"]),
        (
            {"architecture": "aarch64", "video_model": "cirrus"},
            ["video_model='cirrus'", "bug 1745340", "fix: use virtio"],
        ),
        (
            {"architecture": "x86_64", "video_model": "vbox"},
            ["video_model='vbox'", "unknown video model"],
        ),
        ({"architecture": "x86_64", "video_model": "gop"}, ["another hypervisor"]),
        (
            {"architecture": "aarch64", "machine_type": "pc-q35-7.2"},
            ["machine_type='pc-q35-7.2'", "an x86 machine type", "fix: use virt"],
        ),
        ({"architecture": "armv7l", "machine_type": "vexpress-a15"}, ["not virt"]),
        (
            {"architecture": "x86_64", "machine_type": "virt"},
            ["machine_type='virt'", "an ARM machine type", "fix: use q35"],
        ),
        ({"architecture": "x86_64", "machine_type": "microvm"}, ["not pc or q35"]),
        (
            {"architecture": "x86_64", "secure_boot": "always"},
            ["secure_boot='always'", "not one of"],
        ),
        (
            {"architecture": "x86_64", "secure_boot": "required", "machine_type": "pc"},
            [
                "secure_boot='required' (os_secure_boot)",
                "target pc-q35-* only",
                "fix: set hw_machine_type=q35",
            ],
        ),
        (
            {
                "architecture": "x86_64",
                "secure_boot": "optional",
                "firmware": "bios",
                "machine_type": "q35",
            },
            ["secure boot needs UEFI firmware, but the firmware is bios"],
        ),
        (
            {"architecture": "aarch64", "console": "rdp"},
            ["console='rdp'", "not one of serial, vnc, spice"],
        ),
        (
            {"architecture": "aarch64", "console": "vnc", "video_model": "none"},
            ["console='vnc'", "a graphical console needs a video device"],
        ),
        (
            {"architecture": "aarch64", "qemu_guest_agent": "yes"},
            ["qemu_guest_agent='yes'", "not a boolean"],
        ),
        ({"architecture": "aarch64", "os_type": "bsd"}, ["os_type='bsd'", "unknown OS type"]),
    ],
)
def test_contradictions_are_refused(spec, fragments):
    with pytest.raises(glance.ImagePropertyError) as caught:
        glance.build_image_properties(spec)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_spec_must_be_a_dict():
    with pytest.raises(
        glance.ImagePropertyError, match=r"image spec 'aarch64' is not a dictionary"
    ):
        glance.build_image_properties("aarch64")


def test_every_problem_is_reported_at_once():
    with pytest.raises(glance.ImagePropertyError) as caught:
        glance.build_image_properties(
            {"architecture": "aarch64", "firmware": "bios", "video_model": "qxl"}
        )
    assert "hw_firmware_type" in str(caught.value) and "hw_video_model" in str(caught.value)


def test_lint_of_a_clean_set_is_empty():
    props = glance.build_image_properties({"architecture": "aarch64"})
    assert glance.lint_image_properties(props) == []


def test_lint_finds_the_classic_aarch64_mistakes():
    problems = glance.lint_image_properties(
        {"architecture": "arm64", "hw_firmware_type": "bios", "hw_video_model": "vga"}
    )
    found = {(p["property"], p["value"]) for p in problems}
    assert found == {
        ("architecture", "arm64"),
        ("hw_firmware_type", "bios"),
        ("hw_video_model", "vga"),
        ("hw_scsi_model", None),
    }
    scsi = next(p for p in problems if p["property"] == "hw_scsi_model")
    assert "nova's aarch64 default" in scsi["problem"]
    assert scsi["fix"] == "set hw_scsi_model=virtio-scsi"


def test_lint_missing_architecture():
    problems = glance.lint_image_properties({"hw_disk_bus": "virtio"})
    assert problems[0]["property"] == "hw_architecture"
    assert "image_properties_default_architecture" in problems[0]["problem"]


def test_lint_unknown_architecture():
    problems = glance.lint_image_properties({"hw_architecture": "mips"})
    assert problems == [
        {
            "property": "hw_architecture",
            "value": "mips",
            "problem": "unknown architecture",
            "fix": "use x86_64, aarch64 or armv7l",
        }
    ]


def test_lint_disagreeing_architecture_keys():
    problems = glance.lint_image_properties(
        {"hw_architecture": "x86_64", "architecture": "aarch64"}
    )
    assert [p["property"] for p in problems] == ["architecture"]
    assert "disagrees with hw_architecture 'x86_64'" in problems[0]["problem"]


def test_lint_misc_values():
    problems = glance.lint_image_properties(
        {
            "hw_architecture": "x86_64",
            "hw_serial_port_count": "two",
            "hw_qemu_guest_agent": "maybe",
            "os_secure_boot": "sometimes",
        }
    )
    assert {p["property"] for p in problems} == {
        "hw_serial_port_count",
        "hw_qemu_guest_agent",
        "os_secure_boot",
    }


def test_lint_accepts_nova_boolean_words():
    assert (
        glance.lint_image_properties({"hw_architecture": "x86_64", "hw_qemu_guest_agent": "True"})
        == []
    )


def test_lint_secure_boot_disabled_needs_nothing():
    assert (
        glance.lint_image_properties({"hw_architecture": "x86_64", "os_secure_boot": "disabled"})
        == []
    )


def test_lint_aarch64_secure_boot_uses_the_uefi_default():
    assert (
        glance.lint_image_properties(
            {
                "hw_architecture": "aarch64",
                "hw_scsi_model": "virtio-scsi",
                "os_secure_boot": "required",
            }
        )
        == []
    )


def test_lint_needs_a_dict():
    with pytest.raises(
        glance.ImagePropertyError, match=r"image properties \[\] are not a dictionary"
    ):
        glance.lint_image_properties([])


# --- drift of an existing image ----------------------------------------------

# An aarch64 test image as openstack.cloud.image_info (openstacksdk 4.14) returns it.
EXISTING = {
    "name": "dozencloud-test-aarch64",
    "checksum": "87837aa70aa1ddb5a26e6fdfeb23a7e3",
    "hw_disk_bus": "virtio",
    "hw_machine_type": "virt",
    "hw_scsi_model": "virtio-scsi",
    "hw_serial_port_count": 1,
    "hw_video_model": "virtio",
    "os_type": "linux",
    "architecture": None,
    "properties": {
        "hw_architecture": "aarch64",
        "hw_firmware_type": "uefi",
        "hw_cdrom_bus": "scsi",
        "dozencloud_image_key": "ad22568b758c9b6b",
    },
}


def test_drift_none_when_properties_match_across_both_places():
    wanted = glance.build_image_properties({"architecture": "aarch64", "os_type": "linux"})
    wanted["dozencloud_image_key"] = "ad22568b758c9b6b"
    assert glance.image_property_drift(EXISTING, wanted) == {}


def test_drift_names_missing_and_changed_properties():
    wanted = {"hw_firmware_type": "uefi", "hw_machine_type": "virt-7.2", "os_distro": "debian"}
    assert glance.image_property_drift(EXISTING, wanted) == {
        "hw_machine_type": "virt-7.2",
        "os_distro": "debian",
    }


def test_drift_refuses_non_dicts():
    with pytest.raises(glance.ImagePropertyError, match="is not a dictionary"):
        glance.image_property_drift([], {})
    with pytest.raises(glance.ImagePropertyError, match="wanted properties"):
        glance.image_property_drift({}, None)
