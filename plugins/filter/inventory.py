# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Inventory filters: a site's groups against what DozenCloud's plays deploy."""

from ansible_collections.dozencloud.cloud.plugins.module_utils.data_location import (
    primary_problems,
)
from ansible_collections.dozencloud.cloud.plugins.module_utils.inventory_groups import (
    group_problems,
)


def inventory_group_problems(groups, deployed, reserved=None, extra=None, limits=None):
    """Problems of the inventory's groups (module_utils/inventory_groups.py)."""
    plain = {str(name): [str(host) for host in hosts or []] for name, hosts in groups.items()}
    return group_problems(
        plain, list(deployed), dict(reserved or {}), list(extra or []), dict(limits or {})
    )


def primary_controller_problems(probes, primary, controllers):
    """Problems of the primary controller against where the data is (module_utils/data_location.py)."""
    plain = {str(host): dict(probe) if probe else None for host, probe in probes.items()}
    return primary_problems(plain, str(primary), [str(host) for host in controllers])


class FilterModule:
    def filters(self):
        return {
            "inventory_group_problems": inventory_group_problems,
            "primary_controller_problems": primary_controller_problems,
        }
