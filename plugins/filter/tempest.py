# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""tempest.conf from the cloud's capabilities and the site's settings; Tempest's test lists."""

from ansible.errors import AnsibleFilterError
from ansible_collections.dozencloud.cloud.plugins.module_utils.tempest import (
    TempestConfigError,
    exclude_file,
)
from ansible_collections.dozencloud.cloud.plugins.module_utils.tempest import (
    tempest_config as _tempest_config,
)
from ansible_collections.dozencloud.cloud.plugins.module_utils.tempest import (
    test_lists as _test_lists,
)


def tempest_config(capabilities, settings):
    """tempest.conf's sections, for dozencloud.cloud.to_ini."""
    try:
        return _tempest_config(capabilities, settings)
    except TempestConfigError as exc:
        raise AnsibleFilterError(f"tempest_config: {exc}") from None


def tempest_test_lists(profiles, profile, include=(), exclude=()):
    """{include, exclude, include_file, exclude_file} of a profile and the site's additions."""
    try:
        includes, excludes = _test_lists(profiles, profile, include or (), exclude or ())
    except TempestConfigError as exc:
        raise AnsibleFilterError(f"tempest_test_lists: {exc}") from None
    return {
        "include": includes,
        "exclude": excludes,
        "include_file": "".join(f"{regex}\n" for regex in includes),
        "exclude_file": exclude_file(excludes),
    }


class FilterModule:
    def filters(self):
        return {"tempest_config": tempest_config, "tempest_test_lists": tempest_test_lists}
