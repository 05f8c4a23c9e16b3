#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)

DOCUMENTATION = r"""
---
module: stale_services
short_description: Restart the services an interrupted run left running on their old configuration
version_added: 0.1.0
description:
  - A role writes a service's configuration and restarts the service later, in a handler or a
    later task. A run killed between the two leaves the new file and the old process. The next
    run finds the file unchanged and would restart nothing.
  - This module finds such services from the host's state, so no marker has to be written in
    the window a kill could hit. A unit is stale when it is running and one of its
    configuration files is newer than its main process's start. For a unit whose changes are
    applied by reload, the time of the last reload DozenCloud recorded counts too.
  - A unit whose unit file or drop-in changed after systemd loaded it (systemd's
    C(NeedDaemonReload)) is stale too. The module then runs C(systemctl daemon-reload) first,
    as it does when a stale unit's paths include a systemd directory.
  - A unit that is not installed or not running is never stale. The role starts it, and it
    then reads the files as they are.
  - It restarts (or reloads) each stale unit and records a reload's time in O(stamp_dir).
    Handlers that reload a unit record the time there too, as C(<stamp_dir>/<unit>).
  - Run it before the role writes the files. In a run that is not interrupted, nothing is
    stale at that point, and the role's own handlers apply its changes.
author:
  - DozenCloud developers
options:
  services:
    description: The units to check.
    type: list
    elements: dict
    required: true
    suboptions:
      unit:
        description: The systemd unit, as C(systemctl) takes it.
        type: str
        required: true
      paths:
        description:
          - The files the unit reads at start. A directory counts with every file in it, and
            its own time, which changes when a file in it is removed.
          - A path that does not exist is left out.
        type: list
        elements: path
        required: true
      action:
        description: How the role applies a change to these files.
        type: str
        choices: [restarted, reloaded]
        default: restarted
  stamp_dir:
    description: Where the times of reloads are recorded, one empty file per unit.
    type: path
    default: /var/lib/dozencloud/reloaded
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Restart what an interrupted run left on its old configuration
  dozencloud.cloud.stale_services:
    services:
      - unit: memcached
        paths: [/etc/memcached.conf]
"""

RETURN = r"""
stale:
  description: The units found stale, with why; restarted or reloaded unless in check mode.
  returned: success
  type: list
  elements: dict
  sample:
    - unit: nova-api
      reason: /etc/nova/nova.conf changed after it (re)started
      changed_at: "2026-12-04T22:40:01.123456+00:00"
      started_at: "2026-12-04T22:31:06.351729+00:00"
      action: restarted
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dozencloud.cloud.plugins.module_utils.stale_services import (
    PROPERTIES,
    parse_show,
    staleness,
)

_SYSTEMD_DIRS = ("/etc/systemd/", "/run/systemd/", "/lib/systemd/", "/usr/lib/systemd/")


def newest(paths):
    """(path, mtime) of the newest existing file or directory among ``paths``."""
    found = None
    for top in paths:
        candidates = [top]
        if os.path.isdir(top):
            for root, dirs, files in os.walk(top):
                candidates.extend(os.path.join(root, d) for d in dirs)
                candidates.extend(os.path.join(root, f) for f in files)
        for path in candidates:
            try:
                mtime = os.stat(path).st_mtime
            except FileNotFoundError:
                continue
            if found is None or mtime > found[1]:
                found = (path, mtime)
    return found


def stamp_time(stamp_dir, unit):
    try:
        return os.stat(os.path.join(stamp_dir, unit)).st_mtime
    except FileNotFoundError:
        return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            services=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    unit=dict(type="str", required=True),
                    paths=dict(type="list", elements="path", required=True),
                    action=dict(type="str", choices=["restarted", "reloaded"], default="restarted"),
                ),
            ),
            stamp_dir=dict(type="path", default="/var/lib/dozencloud/reloaded"),
        ),
        supports_check_mode=True,
    )
    services = module.params["services"]
    stamp_dir = module.params["stamp_dir"]
    if not services:
        module.exit_json(changed=False, stale=[])
    units = [s["unit"] for s in services]
    systemctl = module.get_bin_path("systemctl", required=True)
    argv = [systemctl, "show", "--timestamp=us+utc"]
    for prop in PROPERTIES:
        argv += ["-p", prop]
    rc, out, err = module.run_command([*argv, "--", *units])
    if rc != 0:
        module.fail_json(msg=f"systemctl show {' '.join(units)} failed: {err.strip()}")
    try:
        shown = parse_show(out, units)
    except ValueError as exc:
        module.fail_json(msg=str(exc), stdout=out)

    stale = []
    for service in services:
        unit = service["unit"]
        reloaded = stamp_time(stamp_dir, unit) if service["action"] == "reloaded" else None
        found = staleness(unit, shown[unit], newest(service["paths"]), reloaded)
        if found:
            found["action"] = service["action"]
            # A drop-in of another unit (ovs-vswitchd's, for openvswitch-switch)
            # does not mark this one: a path under systemd's directory does.
            found["daemon_reload"] = shown[unit].get("NeedDaemonReload") == "yes" or any(
                path.startswith(_SYSTEMD_DIRS) for path in service["paths"]
            )
            stale.append(found)

    if stale and not module.check_mode:
        if any(s["daemon_reload"] for s in stale):
            module.run_command([systemctl, "daemon-reload"], check_rc=True)
        for found in stale:
            verb = "reload" if found["action"] == "reloaded" else "restart"
            rc, out, err = module.run_command([systemctl, verb, "--", found["unit"]])
            if rc != 0:
                module.fail_json(
                    msg=f"systemctl {verb} {found['unit']} failed ({found['reason']}): {err.strip()}",
                    stale=stale,
                )
            if found["action"] == "reloaded":
                os.makedirs(stamp_dir, mode=0o755, exist_ok=True)
                with open(os.path.join(stamp_dir, found["unit"]), "a", encoding="utf-8"):
                    pass
                os.utime(os.path.join(stamp_dir, found["unit"]))
    module.exit_json(changed=bool(stale), stale=stale)


if __name__ == "__main__":
    main()
