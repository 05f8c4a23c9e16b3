# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Read a libvirt domain's XML into a flat dict."""

from ansible.errors import AnsibleFilterError
from ansible_collections.dozencloud.cloud.plugins.module_utils.libvirt import (
    DomainXMLError,
    domain_info,
)


def libvirt_domain(xml):
    """Identity, firmware (loader, NVRAM), console logs and port ids of a domain."""
    try:
        return domain_info(xml)
    except DomainXMLError as exc:
        raise AnsibleFilterError(f"libvirt_domain: {exc}") from None


class FilterModule:
    def filters(self):
        return {"libvirt_domain": libvirt_domain}
