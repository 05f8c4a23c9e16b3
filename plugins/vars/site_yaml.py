# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Vars plugin: refuse a group_vars or host_vars file that is not clean YAML, naming the file and line."""

DOCUMENTATION = r"""
name: site_yaml
short_description: Refuse unreadable or ambiguous YAML in a site's group_vars and host_vars
description:
  - Reads the files that C(host_group_vars) will load for each group and host, before it does,
    and stops the run on the first file that is not valid YAML or writes a key twice in one
    mapping. The error names the file, the line and the fix.
  - Ansible 2.19 itself reports such a YAML error without the file, and a duplicate key only as
    a warning, keeping the last value.
  - Loads no variables. Enable it before C(host_group_vars), as DozenCloud's ansible.cfg does -
    C(vars_plugins_enabled = dozencloud.cloud.site_yaml, host_group_vars).
options:
  stage:
    ini:
      - key: stage
        section: vars_site_yaml
    env:
      - name: ANSIBLE_VARS_PLUGIN_STAGE
"""

import os

from ansible.errors import AnsibleParserError
from ansible.inventory.group import InventoryObjectType
from ansible.plugins.vars import BaseVarsPlugin
from ansible.utils.path import basedir
from ansible_collections.dozencloud.cloud.plugins.module_utils.yaml_check import yaml_problems

# Files already read in this process, by path and modification time.
_CHECKED = set()


class VarsModule(BaseVarsPlugin):
    is_stateless = True

    def get_vars(self, loader, path, entities, cache=True):
        if not isinstance(entities, list):
            entities = [entities]
        root = os.path.realpath(basedir(path))
        for entity in entities:
            name = getattr(entity, "name", "")
            if not name or name.startswith(os.path.sep):
                continue
            kind = entity.base_type
            subdir = "host_vars" if kind is InventoryObjectType.HOST else "group_vars"
            directory = os.path.join(root, subdir)
            if not os.path.isdir(directory):
                continue
            for found in loader.find_vars_files(directory, name):
                self._check(str(found))
        return {}

    @staticmethod
    def _check(path):
        try:
            key = (path, os.stat(path).st_mtime_ns)
        except OSError:
            return
        if key in _CHECKED:
            return
        with open(path, encoding="utf-8", errors="replace") as handle:
            problems = yaml_problems(handle.read())
        if problems:
            line, column, message = problems[0]
            more = f" ({len(problems) - 1} more in this file)" if len(problems) > 1 else ""
            raise AnsibleParserError(
                f"{path}:{line}:{column}: {message}{more}. Fix: correct the file at that line; "
                "each key once per mapping, and a value with ': ' or '#' in quotes."
            )
        _CHECKED.add(key)
