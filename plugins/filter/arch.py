# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Architecture name filters over the collection's single alias table."""

from ansible.errors import AnsibleFilterError
from ansible_collections.dozencloud.cloud.plugins.module_utils.arch import (
    arch_alias as _arch_alias,
)
from ansible_collections.dozencloud.cloud.plugins.module_utils.arch import (
    arch_known as _arch_known,
)


def arch_alias(value, scheme="canonical"):
    """Convert an architecture name to another naming scheme."""
    try:
        return _arch_alias(value, scheme)
    except ValueError as exc:
        raise AnsibleFilterError(f"arch_alias: {exc}") from None


def arch_known(value):
    """Whether DozenCloud knows this architecture name."""
    return _arch_known(value)


class FilterModule:
    def filters(self):
        return {"arch_alias": arch_alias, "arch_known": arch_known}
