# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""The one table of architecture names in DozenCloud.

Every naming scheme DozenCloud meets is a column here; roles, prechecks,
modules and filters convert through this module and keep no table of their own.

Schemes:
  canonical, kernel, ansible, glance: what ``uname -m`` prints, which is also
      what Ansible facts and nova/glance ``hw_architecture`` use;
  dpkg: Debian architecture names; rpm: RPM architecture names;
  oci, oci_variant: OCI image index / Go / ``kubernetes.io/arch`` names;
  qemu: the QEMU system-emulation target, as used in firmware descriptors.
"""

SCHEMES = ("canonical", "kernel", "ansible", "glance", "dpkg", "oci", "oci_variant", "rpm", "qemu")

ARCHITECTURES = {
    "x86_64": {
        "dpkg": "amd64",
        "oci": "amd64",
        "oci_variant": None,
        "rpm": "x86_64",
        "qemu": "x86_64",
    },
    "aarch64": {
        "dpkg": "arm64",
        "oci": "arm64",
        "oci_variant": "v8",
        "rpm": "aarch64",
        "qemu": "aarch64",
    },
    "armv7l": {
        "dpkg": "armhf",
        "oci": "arm",
        "oci_variant": "v7",
        "rpm": "armv7hl",
        "qemu": "arm",
    },
}

# Names seen in the wild that are not a column of the table above.
_EXTRA_ALIASES = {
    "x86-64": "x86_64",
    "armv7": "armv7l",
    "armv7hf": "armv7l",
}

# The CPU family decides which /proc/cpuinfo layout and which HWCAP table apply.
FAMILIES = {"x86_64": "x86", "aarch64": "arm", "armv7l": "arm"}


def _build_alias_index():
    index = dict(_EXTRA_ALIASES)
    for canonical, names in ARCHITECTURES.items():
        index[canonical] = canonical
        for scheme, name in names.items():
            if scheme != "oci_variant" and name:
                index[name] = canonical
    return index


_ALIASES = _build_alias_index()


def canonical_arch(value):
    """Return the canonical (kernel) name for any known alias, or None.

    Matching ignores case and surrounding blanks: ``ARM64`` and ``arm64`` are
    both aarch64. ``arm`` means armv7l, the only 32-bit ARM DozenCloud knows.
    """
    if not isinstance(value, str):
        return None
    return _ALIASES.get(value.strip().lower())


def arch_known(value):
    """True when value is an alias of an architecture DozenCloud supports."""
    return canonical_arch(value) is not None


def arch_alias(value, scheme):
    """Convert an architecture name from any scheme to ``scheme``.

    Returns None for a scheme the architecture has no value in (x86_64 has no
    OCI variant). Raises ValueError naming the bad value or scheme.
    """
    if scheme not in SCHEMES:
        raise ValueError(
            f"unknown architecture naming scheme {scheme!r}; use one of {', '.join(SCHEMES)}"
        )
    canonical = canonical_arch(value)
    if canonical is None:
        raise ValueError(
            f"unknown architecture {value!r}; known names: {', '.join(sorted(_ALIASES))}"
        )
    if scheme in ("canonical", "kernel", "ansible", "glance"):
        return canonical
    return ARCHITECTURES[canonical][scheme]


def arch_names(machine):
    """All names of the architecture ``uname -m`` reported, as host facts.

    An unknown machine keeps its raw name as canonical, has every other scheme
    set to None and ``known: false``, so prechecks can explain it.
    """
    canonical = canonical_arch(machine)
    if canonical is None:
        names = {scheme: None for scheme in SCHEMES if scheme != "canonical"}
        names.update(canonical=machine, kernel=machine, known=False)
        return names
    names = {scheme: arch_alias(canonical, scheme) for scheme in SCHEMES}
    names["kernel"] = machine
    names["known"] = True
    return names


def arch_family(value):
    """'x86' or 'arm' for a known architecture alias, else None."""
    return FAMILIES.get(canonical_arch(value))
