# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Address planning filters (netaddr, controller side)."""

from ansible.errors import AnsibleFilterError
from ansible_collections.dozencloud.cloud.plugins.module_utils.addressing import (
    AddressError,
    duplicate_addresses,
    host_address,
    network_contains,
    overlapping_networks,
    reserved_address,
)


def _wrap(name, function):
    def filter_function(*args):
        try:
            return function(*args)
        except AddressError as exc:
            raise AnsibleFilterError(f"{name}: {exc}") from None

    filter_function.__name__ = name
    filter_function.__doc__ = function.__doc__
    return filter_function


class FilterModule:
    def filters(self):
        return {
            "net_host_address": _wrap("net_host_address", host_address),
            "net_overlaps": _wrap("net_overlaps", overlapping_networks),
            "net_contains": _wrap("net_contains", network_contains),
            "net_duplicate_addresses": _wrap("net_duplicate_addresses", duplicate_addresses),
            "net_reserved": _wrap("net_reserved", reserved_address),
        }
