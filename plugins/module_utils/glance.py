# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Glance image properties that nova's libvirt driver honours, per architecture.

``build_image_properties`` turns a short spec into the complete property set
and refuses contradictions; ``lint_image_properties`` audits an existing set.
Both apply the same rules, so every lint finding is also a build error.

Sources (see docs/aarch64.md): nova objects/fields.py for the allowed values;
nova virt/libvirt/driver.py (UEFI default for aarch64 hosts since 17.0.0, bug
1740824; virtio video on aarch64, bug 1745340); nova virt/libvirt/blockinfo.py
(SCSI CD-ROM default on aarch64); the Debian OVMF secure-boot descriptors,
which target pc-q35-* only.
"""

import re

from ansible_collections.dozencloud.cloud.plugins.module_utils.arch import (
    arch_family,
    canonical_arch,
)

DISK_BUSES = ("virtio", "scsi", "sata", "ide", "usb", "fdc")
SCSI_MODELS = (
    "virtio-scsi",
    "lsilogic",
    "lsisas1068",
    "lsisas1078",
    "buslogic",
    "ibmvscsi",
    "vmpvscsi",
)
VIDEO_MODELS = ("virtio", "vga", "cirrus", "vmvga", "qxl", "bochs", "gop", "xen", "none")
ARM_VIDEO_MODELS = ("virtio", "none")
FIRMWARE_TYPES = ("uefi", "bios")
SECURE_BOOT = ("required", "optional", "disabled")
CONSOLES = ("serial", "vnc", "spice")
OS_TYPES = ("linux", "windows")
BOOLEAN_WORDS = ("yes", "no", "true", "false", "on", "off", "1", "0")

_ARM_MACHINE = re.compile(r"virt(-\d+\.\d+)?")
_X86_MACHINE = re.compile(r"pc|q35|pc-i440fx-\d+\.\d+|pc-q35-\d+\.\d+")
_Q35 = re.compile(r"q35|pc-q35-\d+\.\d+")

SPEC_PROPERTIES = {
    "architecture": "hw_architecture",
    "firmware": "hw_firmware_type",
    "secure_boot": "os_secure_boot",
    "disk_bus": "hw_disk_bus",
    "cdrom_bus": "hw_cdrom_bus",
    "scsi_model": "hw_scsi_model",
    "video_model": "hw_video_model",
    "machine_type": "hw_machine_type",
    "os_type": "os_type",
    "os_distro": "os_distro",
    "os_version": "os_version",
    "qemu_guest_agent": "hw_qemu_guest_agent",
}
SPEC_KEYS = (*SPEC_PROPERTIES, "console")
_PROPERTY_SPEC = {prop: key for key, prop in SPEC_PROPERTIES.items()}
_PROPERTY_SPEC["hw_serial_port_count"] = "console"


class ImagePropertyError(ValueError):
    """A spec or property set contradicts itself or nova."""


def _problem(props, prop, problem, fix):
    return {"property": prop, "value": props.get(prop), "problem": problem, "fix": fix}


def _architecture(props, problems):
    """Canonical architecture of a property set, recording naming problems."""
    values = {k: props[k] for k in ("hw_architecture", "architecture") if props.get(k)}
    if not values:
        problems.append(
            _problem(
                props,
                "hw_architecture",
                "no architecture is set, so the scheduler places the image by "
                "[filter_scheduler] image_properties_default_architecture (x86_64 in DozenCloud)",
                "set hw_architecture to x86_64, aarch64 or armv7l",
            )
        )
        return None
    found = {}
    for prop, value in values.items():
        canonical = canonical_arch(str(value))
        if canonical is None:
            problems.append(
                _problem(props, prop, "unknown architecture", "use x86_64, aarch64 or armv7l")
            )
        elif canonical != value:
            problems.append(
                _problem(
                    props,
                    prop,
                    "nova and glance compare the kernel name (uname -m), not this alias",
                    f"use {canonical}",
                )
            )
        found[prop] = canonical
    if len(set(found.values())) > 1:
        problems.append(
            _problem(
                props,
                "architecture",
                f"disagrees with hw_architecture {props['hw_architecture']!r}",
                "drop the legacy architecture property or make it match",
            )
        )
    return found.get("hw_architecture") or found.get("architecture")


def _firmware_rules(props, arch, problems):
    firmware = props.get("hw_firmware_type")
    if firmware is not None and firmware not in FIRMWARE_TYPES:
        problems.append(
            _problem(props, "hw_firmware_type", "unknown firmware type", "use uefi or bios")
        )
    if arch_family(arch) == "arm" and firmware == "bios":
        problems.append(
            _problem(
                props,
                "hw_firmware_type",
                f"no BIOS firmware exists for {arch} guests; nova boots them with UEFI "
                "(default for aarch64 since nova 17.0.0, bug 1740824)",
                "use hw_firmware_type=uefi",
            )
        )
    secure = props.get("os_secure_boot")
    if secure is None:
        return
    if secure not in SECURE_BOOT:
        problems.append(
            _problem(props, "os_secure_boot", "unknown value", "use required, optional or disabled")
        )
        return
    if secure == "disabled":
        return
    effective = firmware or ("uefi" if arch == "aarch64" else "bios")
    if effective != "uefi":
        problems.append(
            _problem(
                props,
                "os_secure_boot",
                f"secure boot needs UEFI firmware, but the firmware is {effective}",
                "set hw_firmware_type=uefi",
            )
        )
    machine = props.get("hw_machine_type")
    if arch == "x86_64" and not (machine and _Q35.fullmatch(machine)):
        problems.append(
            _problem(
                props,
                "os_secure_boot",
                f"the secure-boot OVMF builds require SMM and target pc-q35-* only, but the "
                f"machine type is {machine or 'the default (pc)'}",
                "set hw_machine_type=q35",
            )
        )


def _bus_rules(props, arch, problems):
    machine = props.get("hw_machine_type") or ""
    for prop in ("hw_disk_bus", "hw_cdrom_bus"):
        bus = props.get(prop)
        if bus is None:
            continue
        if bus not in DISK_BUSES:
            problems.append(
                _problem(props, prop, "unknown bus", f"use one of {', '.join(DISK_BUSES)}")
            )
        elif arch_family(arch) == "arm" and bus in ("ide", "fdc"):
            fix = "use virtio" if prop == "hw_disk_bus" else "use scsi with virtio-scsi"
            problems.append(
                _problem(props, prop, "the virt machine type has no IDE or floppy controller", fix)
            )
        elif arch == "x86_64" and bus == "ide" and _Q35.fullmatch(machine):
            problems.append(
                _problem(props, prop, "the q35 machine type has no IDE controller", "use sata")
            )
    model = props.get("hw_scsi_model")
    if model is not None and model not in SCSI_MODELS:
        problems.append(
            _problem(
                props, "hw_scsi_model", "unknown SCSI model", f"use one of {', '.join(SCSI_MODELS)}"
            )
        )
        return
    on_scsi = [p for p in ("hw_disk_bus", "hw_cdrom_bus") if props.get(p) == "scsi"]
    if arch == "aarch64" and props.get("hw_cdrom_bus") is None:
        on_scsi.append("hw_cdrom_bus (nova's aarch64 default)")
    if on_scsi and arch_family(arch) == "arm" and model != "virtio-scsi":
        problems.append(
            _problem(
                props,
                "hw_scsi_model",
                f"{' and '.join(on_scsi)} use SCSI; without virtio-scsi libvirt adds an LSI "
                "controller and the guest may not see its disks or config drive",
                "set hw_scsi_model=virtio-scsi",
            )
        )


def _device_rules(props, arch, problems):
    video = props.get("hw_video_model")
    if video is not None:
        if video not in VIDEO_MODELS:
            problems.append(
                _problem(
                    props,
                    "hw_video_model",
                    "unknown video model",
                    f"use one of {', '.join(VIDEO_MODELS)}",
                )
            )
        elif arch_family(arch) == "arm" and video not in ARM_VIDEO_MODELS:
            problems.append(
                _problem(
                    props,
                    "hw_video_model",
                    f"{video} has no driver in the {arch} UEFI firmware; nova uses virtio "
                    "on aarch64 (bug 1745340)",
                    "use virtio, or none for a serial-only guest",
                )
            )
        elif arch == "x86_64" and video in ("gop", "xen"):
            problems.append(
                _problem(
                    props,
                    "hw_video_model",
                    f"{video} belongs to another hypervisor (Hyper-V or Xen), not libvirt/KVM",
                    "use virtio, vga, qxl or bochs",
                )
            )
    machine = props.get("hw_machine_type")
    if machine is not None:
        if arch_family(arch) == "arm" and not _ARM_MACHINE.fullmatch(machine):
            kind = "an x86 machine type" if _X86_MACHINE.fullmatch(machine) else "not virt"
            problems.append(
                _problem(
                    props,
                    "hw_machine_type",
                    f"{kind}; {arch} guests run on the virt machine type",
                    "use virt, or a versioned virt-X.Y to keep live migration stable",
                )
            )
        elif arch == "x86_64" and not _X86_MACHINE.fullmatch(machine):
            kind = "an ARM machine type" if _ARM_MACHINE.fullmatch(machine) else "not pc or q35"
            problems.append(
                _problem(
                    props,
                    "hw_machine_type",
                    f"{kind}; x86_64 guests run on pc or q35",
                    "use q35, pc, or a versioned pc-q35-X.Y",
                )
            )


def _misc_rules(props, problems):
    ports = props.get("hw_serial_port_count")
    if ports is not None and not str(ports).isdigit():
        problems.append(
            _problem(props, "hw_serial_port_count", "not a whole number", "use a number such as 1")
        )
    os_type = props.get("os_type")
    if os_type is not None and os_type not in OS_TYPES:
        problems.append(_problem(props, "os_type", "unknown OS type", "use linux or windows"))
    agent = props.get("hw_qemu_guest_agent")
    if agent is not None and str(agent).lower() not in BOOLEAN_WORDS:
        problems.append(_problem(props, "hw_qemu_guest_agent", "not a boolean", "use yes or no"))


def lint_image_properties(props):
    """Problems of an image's property dict: ``[{property, value, problem, fix}]``."""
    if not isinstance(props, dict):
        raise ImagePropertyError(f"image properties {props!r} are not a dictionary")
    problems = []
    arch = _architecture(props, problems)
    _firmware_rules(props, arch, problems)
    _bus_rules(props, arch, problems)
    _device_rules(props, arch, problems)
    _misc_rules(props, problems)
    return problems


def _spec_value(spec, key, allowed):
    value = spec.get(key)
    if value is not None and value not in allowed:
        raise ImagePropertyError(
            f"{key}={value!r}: not one of {', '.join(allowed)}; fix: use one of them"
        )
    return value


def build_image_properties(spec):
    """The complete, consistent Glance property set for an image spec.

    ``spec`` keys: architecture (required), firmware, secure_boot, disk_bus,
    cdrom_bus, scsi_model, video_model, machine_type, console, os_type,
    os_distro, os_version, qemu_guest_agent. Defaults on aarch64 and armv7l:
    UEFI, virt machine, virtio disk, SCSI CD-ROM on virtio-scsi, virtio
    video, serial console. On x86_64: BIOS (UEFI and q35 when secure boot is
    asked), virtio disk, VNC console. All values are strings, as Glance stores
    them. Raises ImagePropertyError naming each bad field, its value and the
    fix.
    """
    if not isinstance(spec, dict):
        raise ImagePropertyError(f"image spec {spec!r} is not a dictionary")
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise ImagePropertyError(
            f"unknown image spec field(s) {', '.join(unknown)}; fix: use only "
            f"{', '.join(SPEC_KEYS)}"
        )
    if not spec.get("architecture"):
        raise ImagePropertyError(
            "architecture is missing; fix: set architecture to x86_64, aarch64 or armv7l"
        )
    arch = canonical_arch(str(spec["architecture"]))
    if arch is None:
        raise ImagePropertyError(
            f"architecture={spec['architecture']!r}: unknown architecture; "
            "fix: use x86_64, aarch64 or armv7l"
        )
    arm = arch_family(arch) == "arm"
    secure = _spec_value(spec, "secure_boot", SECURE_BOOT)
    console = _spec_value(spec, "console", CONSOLES) or ("serial" if arm else "vnc")
    agent = spec.get("qemu_guest_agent")
    if agent is not None and not isinstance(agent, bool):
        raise ImagePropertyError(
            f"qemu_guest_agent={agent!r}: not a boolean; fix: use true or false"
        )
    wants_secure = secure in ("required", "optional")

    props = {
        "hw_architecture": arch,
        "hw_firmware_type": spec.get("firmware") or ("uefi" if arm or wants_secure else "bios"),
        "hw_disk_bus": spec.get("disk_bus") or "virtio",
    }
    cdrom = spec.get("cdrom_bus") or ("scsi" if arm else None)
    machine = spec.get("machine_type") or ("virt" if arm else "q35" if wants_secure else None)
    video = spec.get("video_model") or ("virtio" if arm else None)
    scsi_model = spec.get("scsi_model")
    if scsi_model is None and "scsi" in (props["hw_disk_bus"], cdrom):
        scsi_model = "virtio-scsi"
    optional = {
        "hw_cdrom_bus": cdrom,
        "hw_scsi_model": scsi_model,
        "hw_machine_type": machine,
        "hw_video_model": video,
        "os_secure_boot": secure,
        "os_type": spec.get("os_type"),
        "os_distro": spec.get("os_distro"),
        "os_version": spec.get("os_version"),
        "hw_qemu_guest_agent": None if agent is None else ("yes" if agent else "no"),
        "hw_serial_port_count": "1" if console == "serial" else None,
    }
    props.update({k: str(v) for k, v in optional.items() if v is not None})

    if console != "serial" and props.get("hw_video_model") == "none":
        raise ImagePropertyError(
            f"console={console!r}: a graphical console needs a video device, but video_model "
            "is none; fix: use video_model virtio, or console serial"
        )
    problems = lint_image_properties(props)
    if problems:
        raise ImagePropertyError(
            "; ".join(
                f"{_PROPERTY_SPEC.get(p['property'], p['property'])}={p['value']!r} "
                f"({p['property']}): {p['problem']}; fix: {p['fix']}"
                for p in problems
            )
        )
    return props


def image_property_drift(image, wanted):
    """The wanted properties an existing image lacks or holds with another value.

    ``image`` is one image as openstack.cloud.image_info returns it:
    openstacksdk makes the properties it knows top-level attributes
    (``hw_disk_bus``; ``hw_serial_port_count`` as an int) and keeps the others,
    ``hw_architecture`` and ``hw_firmware_type`` included, under
    ``properties``. Values compare as strings, as Glance stores them. This is
    what openstack.cloud.image gets wrong: it sees the second kind as missing
    and the int as different, and updates the image on every run.
    """
    if not isinstance(image, dict):
        raise ImagePropertyError(f"image {image!r} is not a dictionary")
    if not isinstance(wanted, dict):
        raise ImagePropertyError(f"wanted properties {wanted!r} are not a dictionary")
    current = dict(image)
    current.update(image.get("properties") or {})
    drift = {}
    for key, value in wanted.items():
        have = current.get(key)
        if have is None or str(have) != str(value):
            drift[key] = value
    return drift
