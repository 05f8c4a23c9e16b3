# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Huge page arithmetic per architecture and base page size.

Sources:
  * aarch64: Linux Documentation/arm64/hugetlbpage.rst (contiguous PTE, PMD,
    contiguous PMD and PUD sizes for 4K, 16K and 64K base pages);
  * x86_64: 2M (PMD) always, 1G (PUD) when the CPU flag pdpe1gb is present
    (Documentation/admin-guide/mm/hugetlbpage.rst, arch/x86/mm/hugetlbpage.c);
  * armv7l: hugetlbfs exists only with LPAE (arch/arm/Kconfig:
    ARCH_SUPPORTS_HUGETLBFS depends on ARM_LPAE), where HPAGE_SHIFT is
    PMD_SHIFT, 2M (arch/arm/include/asm/pgtable-3level.h);
  * nova ``hw:mem_page_size`` grammar: nova/virt/hardware.py, which reads
    small, large, any, a plain number of KiB, or a size with a unit through
    oslo.utils strutils.string_to_bytes.
"""

import re

KIB = 1024

# (canonical architecture, base page size in bytes) -> huge page sizes in KiB.
HUGEPAGE_SIZES_KB = {
    ("aarch64", 4096): (64, 2048, 32768, 1048576),
    ("aarch64", 16384): (2048, 32768, 1048576),
    ("aarch64", 65536): (2048, 524288, 16777216),
    ("x86_64", 4096): (2048, 1048576),
    ("armv7l", 4096): (2048,),
}

_SYSFS_NAME = re.compile(r"^hugepages-(\d+)kB$")
_SIZE = re.compile(r"^(\d+)([KMGT])(i?)B$")
_UNIT_KIB = {"K": 1, "M": KIB, "G": KIB**2, "T": KIB**3}
_KUBE_UNITS = (("Ti", KIB**3), ("Gi", KIB**2), ("Mi", KIB), ("Ki", 1))
NOVA_KEYWORDS = ("small", "large", "any")


def hugepage_sizes_kb(page_size, arch):
    """Huge page sizes (KiB, ascending) the kernel supports for this base page.

    Raises ValueError for an architecture or page size with no entry.
    """
    try:
        size = int(page_size)
    except (TypeError, ValueError):
        raise ValueError(f"page size {page_size!r} is not a number of bytes") from None
    sizes = HUGEPAGE_SIZES_KB.get((arch, size))
    if sizes is None:
        known = ", ".join(f"{a} {p}" for a, p in sorted(HUGEPAGE_SIZES_KB))
        raise ValueError(
            f"no huge page sizes known for architecture {arch!r} with {size}-byte pages "
            f"(known: {known})"
        )
    return list(sizes)


def possible_hugepage_sizes_kb(arch, page_size, features=()):
    """Huge page sizes this host could offer, refined by CPU features.

    x86_64 offers 1G pages only with pdpe1gb; armv7l offers 2M pages only on
    an LPAE-capable CPU. Unknown combinations give an empty list.
    """
    try:
        sizes = hugepage_sizes_kb(page_size, arch)
    except ValueError:
        return []
    features = set(features)
    if arch == "x86_64" and "pdpe1gb" not in features:
        sizes = [s for s in sizes if s != 1048576]
    if arch == "armv7l" and "lpae" not in features:
        sizes = []
    return sizes


def sysfs_hugepage_sizes_kb(entries):
    """Sizes from the names under /sys/kernel/mm/hugepages (hugepages-2048kB)."""
    sizes = set()
    for entry in entries or ():
        match = _SYSFS_NAME.match(entry)
        if match:
            sizes.add(int(match.group(1)))
    return sorted(sizes)


def parse_mem_page_size(value):
    """Parse a nova ``hw:mem_page_size`` value.

    Returns one of 'small', 'large', 'any', or a size in KiB. Accepts an
    integer or digit string (KiB, as nova reads it) and sizes such as '2MB',
    '2MiB', '1GB' or '64KB'. Nova would also accept fractions and bit units
    ('0.5GB', '2Mb'); those never name a real page size and are refused here.
    Raises ValueError naming the value.
    """
    if isinstance(value, bool):
        raise ValueError(f"hw:mem_page_size {value!r} is a boolean, not a page size")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str):
        text = value.strip()
        if text in NOVA_KEYWORDS:
            return text
        match = _SIZE.match(text)
        if text.isdigit():
            size = int(text)
        elif match:
            size = int(match.group(1)) * _UNIT_KIB[match.group(2)]
        else:
            raise ValueError(
                f"hw:mem_page_size {value!r} is not small, large, any, a number of KiB "
                "or a size such as 2MB or 1GiB"
            )
    else:
        raise ValueError(f"hw:mem_page_size {value!r} is not a string or an integer")
    if size <= 0:
        raise ValueError(f"hw:mem_page_size {value!r} is not a positive size")
    return size


def host_hugepage_sizes_kb(host):
    """Huge page sizes of a ``dozen_host`` fact: what sysfs lists, else the arithmetic."""
    hugepages = host.get("hugepages") or {}
    return list(hugepages.get("available_kb") or hugepages.get("possible_kb") or [])


def check_mem_page_size(value, host):
    """Whether a nova ``hw:mem_page_size`` can be served by a host.

    ``host`` is the ``dozen_host`` fact (page_size, hugepages). Returns
    ``(ok, reason)``; raises ValueError when the value itself is malformed.
    """
    request = parse_mem_page_size(value)
    try:
        base_kb = int(host["page_size"]) // KIB
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"host facts {host!r} carry no page_size") from None
    huge = host_hugepage_sizes_kb(host)
    offered = f"base page {base_kb} KiB, huge pages {huge or 'none'} KiB"
    if request in ("small", "any"):
        return True, f"{value!r} is always available ({offered})"
    if request == "large":
        if huge:
            return True, f"'large' can use huge pages of {huge} KiB"
        return False, f"'large' needs huge pages but this host has none ({offered})"
    if request == base_kb or request in huge:
        return True, f"{request} KiB is offered ({offered})"
    return False, f"{value!r} ({request} KiB) is not a page size of this host ({offered})"


def kubelet_hugepage_resources(sizes_kb):
    """Kubernetes resource names for huge page sizes: 2048 -> 'hugepages-2Mi'.

    Kubernetes names the resource after the size as a binary-SI quantity, in
    the largest unit that divides it exactly. Raises ValueError for a size
    that is not a positive whole number of KiB.
    """
    names = []
    for size in sizes_kb:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise ValueError(f"huge page size {size!r} is not a positive number of KiB")
        for suffix, factor in _KUBE_UNITS:
            if size % factor == 0:
                names.append(f"hugepages-{size // factor}{suffix}")
                break
    return names
