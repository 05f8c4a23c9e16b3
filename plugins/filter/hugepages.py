# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Huge page filters: sizes per page size, nova page size requests, kubelet names."""

from ansible.errors import AnsibleFilterError
from ansible_collections.dozencloud.cloud.plugins.module_utils.arch import canonical_arch
from ansible_collections.dozencloud.cloud.plugins.module_utils.hugepages import (
    check_mem_page_size,
)
from ansible_collections.dozencloud.cloud.plugins.module_utils.hugepages import (
    hugepage_sizes_kb as _hugepage_sizes_kb,
)
from ansible_collections.dozencloud.cloud.plugins.module_utils.hugepages import (
    kubelet_hugepage_resources as _kubelet_hugepage_resources,
)


def hugepage_sizes_kb(page_size, arch):
    """Huge page sizes in KiB for a base page size (bytes) and architecture."""
    canonical = canonical_arch(arch)
    if canonical is None:
        raise AnsibleFilterError(f"hugepage_sizes_kb: unknown architecture {arch!r}")
    try:
        return _hugepage_sizes_kb(page_size, canonical)
    except ValueError as exc:
        raise AnsibleFilterError(f"hugepage_sizes_kb: {exc}") from None


def nova_mem_page_size_check(value, host_facts):
    """True when a hw:mem_page_size can be served by the host; raises with the reason."""
    try:
        ok, reason = check_mem_page_size(value, host_facts)
    except ValueError as exc:
        raise AnsibleFilterError(f"nova_mem_page_size_check: {exc}") from None
    if not ok:
        raise AnsibleFilterError(f"nova_mem_page_size_check: {reason}")
    return True


def nova_mem_page_size_valid(value, host_facts):
    """Whether a hw:mem_page_size is well formed and can be served by the host."""
    try:
        return check_mem_page_size(value, host_facts)[0]
    except ValueError:
        return False


def kubelet_hugepage_resources(sizes_kb):
    """Kubernetes resource names (hugepages-2Mi, ...) for huge page sizes in KiB."""
    try:
        return _kubelet_hugepage_resources(sizes_kb)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"kubelet_hugepage_resources: {exc}") from None


class FilterModule:
    def filters(self):
        return {
            "hugepage_sizes_kb": hugepage_sizes_kb,
            "nova_mem_page_size_check": nova_mem_page_size_check,
            "nova_mem_page_size_valid": nova_mem_page_size_valid,
            "kubelet_hugepage_resources": kubelet_hugepage_resources,
        }
