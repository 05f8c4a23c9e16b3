#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)

DOCUMENTATION = r"""
---
module: service_data
short_description: Report which kinds of a site's data a host holds
version_added: 0.1.0
description:
  - Looks for the files and directories in which the site's services keep their data, such as
    MariaDB's database directories or the OVN database files, and reports each kind of data the
    host holds.
  - A file counts when it is not empty, a directory when it has an entry.
  - The prechecks run it on every controller to find where the data is before a deploy chooses
    where to make it (dozencloud.cloud.primary_controller_problems).
  - Reads only.
author:
  - DozenCloud developers
options:
  data:
    description: Each kind of data, with the paths that hold it. One existing path is enough.
    type: dict
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Find the site's data on this controller
  dozencloud.cloud.service_data:
    data:
      ovn: [/var/lib/ovn/ovnnb_db.db, /var/lib/ovn/ovnsb_db.db]
      keystone keys: [/etc/keystone/fernet-keys]
  register: __prechecks_data
"""

RETURN = r"""
held:
  description: Each kind of data the host holds, with the paths found.
  returned: success
  type: dict
  sample: {ovn: [/var/lib/ovn/ovnnb_db.db, /var/lib/ovn/ovnsb_db.db]}
"""

import os

from ansible.module_utils.basic import AnsibleModule


def holds(path):
    try:
        if os.path.isdir(path):
            with os.scandir(path) as entries:
                return any(True for _ in entries)
        return os.path.getsize(path) > 0
    except OSError:
        return False


def main():
    module = AnsibleModule(
        argument_spec=dict(data=dict(type="dict", required=True)),
        supports_check_mode=True,
    )
    held = {}
    for kind, paths in module.params["data"].items():
        if isinstance(paths, str) or not isinstance(paths, list):
            module.fail_json(msg=f"data[{kind!r}] must be a list of paths, not {paths!r}")
        found = [p for p in paths if holds(p)]
        if found:
            held[kind] = found
    module.exit_json(changed=False, held=held)


if __name__ == "__main__":
    main()
