# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""QEMU firmware descriptors: discovery, normalisation and selection.

Follows QEMU docs/interop/firmware.json:
  * descriptors live in /usr/share/qemu/firmware (distribution packages) and
    /etc/qemu/firmware (the administrator); a file in the more specific
    directory replaces the same-named file in the general one, and an empty
    file there hides it;
  * the merged list is sorted by file name and the first descriptor that
    matches the request wins;
  * ``targets[].machines`` are glob patterns over concrete machine types.

The per-user $XDG_CONFIG_HOME/qemu/firmware directory is not read: the system
libvirt daemon that nova uses does not read it either.
"""

import fnmatch
import json

from ansible_collections.dozencloud.cloud.plugins.module_utils.arch import (
    arch_alias,
    canonical_arch,
)

FIRMWARE_DIRS = ("/usr/share/qemu/firmware", "/etc/qemu/firmware")

# Unversioned machine aliases and the versioned family QEMU resolves them to.
MACHINE_ALIASES = {"virt": "virt-", "pc": "pc-i440fx-", "q35": "pc-q35-"}

# Packages that ship firmware descriptors, per interface, architecture and
# Ansible os_family.
FIRMWARE_PACKAGES = {
    "uefi": {
        "x86_64": {"Debian": "ovmf", "RedHat": "edk2-ovmf", "Suse": "qemu-ovmf-x86_64"},
        "aarch64": {
            "Debian": "qemu-efi-aarch64",
            "RedHat": "edk2-aarch64",
            "Suse": "qemu-uefi-aarch64",
        },
        "armv7l": {"Debian": "qemu-efi-arm", "RedHat": "edk2-arm"},
    },
}


class FirmwareError(ValueError):
    """No firmware descriptor satisfies a request, or the request is malformed."""


def merge_descriptor_files(directories):
    """Apply the override rules to directory listings.

    ``directories`` is a sequence, general to specific, of
    ``(directory, {file name: content})``. Returns ``[(name, path, content)]``
    sorted by file name, hidden files (empty content) left out. Only ``*.json``
    files count.
    """
    chosen = {}
    for directory, files in directories:
        for name, content in (files or {}).items():
            if name.endswith(".json"):
                chosen[name] = (f"{directory}/{name}", content)
    return [(name, path, content) for name, (path, content) in sorted(chosen.items()) if content]


def normalise_descriptor(document, name, path):
    """Flatten one firmware.json document into DozenCloud's fact shape.

    Raises FirmwareError naming the file when required members are missing.
    """
    if not isinstance(document, dict):
        raise FirmwareError(f"{path}: the descriptor is not a JSON object")
    mapping = document.get("mapping")
    if not isinstance(mapping, dict) or "device" not in mapping:
        raise FirmwareError(f"{path}: 'mapping.device' is missing")
    device = mapping["device"]
    if device == "flash":
        executable = mapping.get("executable") or {}
        template = mapping.get("nvram-template") or {}
        mode = mapping.get("mode", "split")
    else:
        executable = {"filename": mapping.get("filename")}
        template = {}
        mode = None
    if not executable.get("filename"):
        raise FirmwareError(f"{path}: the {device} mapping names no executable file")
    targets = []
    for target in document.get("targets") or ():
        targets.append(
            {
                "architecture": target.get("architecture"),
                "machines": list(target.get("machines") or ()),
            }
        )
    return {
        "name": name,
        "path": path,
        "description": document.get("description", ""),
        "interface_types": list(document.get("interface-types") or ()),
        "device": device,
        "mode": mode,
        "executable": executable.get("filename"),
        "executable_format": executable.get("format"),
        "nvram_template": template.get("filename"),
        "nvram_template_format": template.get("format"),
        "targets": targets,
        "features": list(document.get("features") or ()),
        "tags": list(document.get("tags") or ()),
    }


def load_descriptors(directories):
    """Parse and normalise the effective descriptors.

    ``directories`` as for merge_descriptor_files. Returns
    ``(descriptors, errors)``; a file that is not valid JSON or lacks required
    members lands in ``errors`` as ``{path, error}`` instead of failing the run.
    """
    descriptors, errors = [], []
    for name, path, content in merge_descriptor_files(directories):
        try:
            descriptors.append(normalise_descriptor(json.loads(content), name, path))
        except ValueError as exc:
            errors.append({"path": path, "error": str(exc)})
    return descriptors, errors


def mark_missing_files(descriptors, exists):
    """Record on each descriptor which of its files the host lacks.

    Sets ``missing_files`` (the executable and NVRAM template paths for which
    ``exists(path)`` is false) on every descriptor and returns the list.
    Debian 12's 50-edk2-aarch64-secure.json, for one, names
    AAVMF_CODE.secboot.fd, which no Debian 12 package ships; QEMU's rules
    would pick it, and the guest would not start.
    """
    for descriptor in descriptors:
        files = [descriptor.get("executable"), descriptor.get("nvram_template")]
        descriptor["missing_files"] = [f for f in files if f and not exists(f)]
    return descriptors


def machine_matches(machine, patterns):
    """Whether a machine type matches any descriptor glob.

    Descriptors list concrete machine types ('virt-*'); QEMU resolves an
    unversioned alias such as 'virt' to its newest versioned type, which is not
    known here. An alias therefore matches only a pattern that covers every
    version of its family ('virt-*' yes, 'virt-7.*' no).
    """
    family = MACHINE_ALIASES.get(machine)
    for pattern in patterns:
        if fnmatch.fnmatchcase(machine, pattern):
            return True
        if family and fnmatch.fnmatchcase(family + "*", pattern):
            return True
    return False


def nvram_problem(descriptor):
    """Why a descriptor cannot keep a guest's UEFI variables, or None.

    A nova guest (and any persistent libvirt guest) keeps its variables in an
    NVRAM file made from the descriptor's template, beside a read-only code
    image: a ``flash`` mapping in ``split`` mode with an ``nvram-template``.
    A ``memory`` mapping (AMD SEV, Intel TDX images), a ``stateless`` flash
    mapping and a ``combined`` one have no template (nova bug 2122288).
    """
    device = descriptor.get("device")
    if device != "flash":
        return f"maps the firmware as {device or 'no'} device, with no NVRAM"
    mode = descriptor.get("mode") or "split"
    if mode != "split":
        return f"is {mode} flash, with no NVRAM template"
    if not descriptor.get("nvram_template"):
        return "names no NVRAM template"
    return None


def _mismatch(descriptor, qemu_arch, machine, interface, required, excluded, nvram_required):
    """Why a descriptor does not fit the request, or None when it fits."""
    missing_files = descriptor.get("missing_files")
    if missing_files:
        return f"names {', '.join(missing_files)}, which the host lacks"
    if nvram_required:
        problem = nvram_problem(descriptor)
        if problem:
            return problem
    if interface not in descriptor.get("interface_types", ()):
        return f"interface {', '.join(descriptor.get('interface_types', ())) or 'none'}"
    targets = [t for t in descriptor.get("targets", ()) if t.get("architecture") == qemu_arch]
    if not targets:
        archs = ", ".join(t.get("architecture") or "?" for t in descriptor.get("targets", ()))
        return f"architecture {archs or 'none'}"
    if not any(machine_matches(machine, t.get("machines", ())) for t in targets):
        machines = ", ".join(m for t in targets for m in t.get("machines", ()))
        return f"machines {machines or 'none'}"
    features = set(descriptor.get("features", ()))
    missing = [f for f in required if f not in features]
    if missing:
        return f"lacks {', '.join(missing)}"
    unwanted = [f for f in excluded if f in features]
    if unwanted:
        return f"has excluded {', '.join(unwanted)}"
    return None


def firmware_packages(architecture, interface="uefi", os_family=None):
    """``{os_family: package}`` shipping descriptors for this architecture."""
    table = FIRMWARE_PACKAGES.get(interface, {}).get(canonical_arch(architecture) or "", {})
    if os_family:
        return {os_family: table[os_family]} if os_family in table else {}
    return dict(table)


def select_firmware(
    descriptors,
    architecture,
    machine,
    interface="uefi",
    features_required=(),
    features_excluded=(),
    os_family=None,
    nvram_required=False,
):
    """Choose the firmware QEMU's rules pick for a request.

    ``descriptors`` are normalised descriptors (the ``firmware`` host fact);
    they are considered in file-name order, and one whose ``missing_files``
    (see mark_missing_files) is not empty is passed over. ``architecture`` is any alias.
    ``nvram_required`` (a nova guest's case) also passes over every descriptor
    that cannot keep UEFI variables (see nvram_problem), whatever its place in
    the file-name order.
    Returns a dict with loader, loader_format, nvram_template,
    nvram_template_format, mode, device and the chosen descriptor. Raises
    FirmwareError naming architecture, machine, what was missing and the
    package that provides firmware for this architecture.
    """
    canonical = canonical_arch(architecture)
    if canonical is None:
        raise FirmwareError(f"unknown architecture {architecture!r}")
    if not machine or not isinstance(machine, str):
        raise FirmwareError(f"machine type {machine!r} is not a machine type name")
    qemu_arch = arch_alias(canonical, "qemu")
    required, excluded = list(features_required or ()), list(features_excluded or ())
    clash = sorted(set(required) & set(excluded))
    if clash:
        raise FirmwareError(f"features {', '.join(clash)} are both required and excluded")
    rejected = []
    for descriptor in sorted(descriptors or (), key=lambda d: d.get("name") or ""):
        reason = _mismatch(
            descriptor, qemu_arch, machine, interface, required, excluded, nvram_required
        )
        if reason is None:
            return {
                "loader": descriptor["executable"],
                "loader_format": descriptor.get("executable_format"),
                "nvram_template": descriptor.get("nvram_template"),
                "nvram_template_format": descriptor.get("nvram_template_format"),
                "mode": descriptor.get("mode"),
                "device": descriptor.get("device"),
                "descriptor": descriptor,
            }
        rejected.append(f"{descriptor.get('name')}: {reason}")
    wanted = f"{interface} firmware for {canonical} machine {machine!r}"
    if required:
        wanted += f" with {', '.join(required)}"
    if excluded:
        wanted += f" without {', '.join(excluded)}"
    if nvram_required:
        wanted += " that keeps an NVRAM"
    seen = "; ".join(rejected) if rejected else "no descriptors were found"
    packages = firmware_packages(canonical, interface, os_family)
    if packages:
        hint = "install " + ", ".join(f"{pkg} ({fam})" for fam, pkg in sorted(packages.items()))
    else:
        hint = (
            "no known distribution package provides it; add a descriptor under /etc/qemu/firmware"
        )
    raise FirmwareError(f"no QEMU firmware descriptor offers {wanted} ({seen}); {hint}")
