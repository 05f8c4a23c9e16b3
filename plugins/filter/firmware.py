# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Firmware selection over a list of descriptors (the dozen_host.firmware fact)."""

from ansible.errors import AnsibleFilterError
from ansible_collections.dozencloud.cloud.plugins.module_utils.firmware import (
    FirmwareError,
    firmware_packages,
    select_firmware,
)


def firmware_select(
    descriptors,
    architecture,
    machine,
    interface="uefi",
    features_required=(),
    features_excluded=(),
    os_family=None,
    nvram_required=False,
):
    """The firmware QEMU's rules choose; raises naming what is missing and its package."""
    try:
        return select_firmware(
            descriptors,
            architecture,
            machine,
            interface=interface,
            features_required=features_required,
            features_excluded=features_excluded,
            os_family=os_family,
            nvram_required=nvram_required,
        )
    except FirmwareError as exc:
        raise AnsibleFilterError(f"firmware_select: {exc}") from None


def firmware_package(architecture, os_family, interface="uefi"):
    """The package that ships guest firmware for an architecture on a distro family."""
    package = firmware_packages(architecture, interface, os_family).get(os_family)
    if package is None:
        raise AnsibleFilterError(
            f"firmware_package: no known package ships {interface} firmware for "
            f"{architecture!r} guests on {os_family!r} hosts"
        )
    return package


class FilterModule:
    def filters(self):
        return {"firmware_select": firmware_select, "firmware_package": firmware_package}
