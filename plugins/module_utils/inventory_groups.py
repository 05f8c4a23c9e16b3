# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""A site's inventory groups against what DozenCloud's plays deploy, as a pure function.

Ansible runs a play on the hosts of the groups it names and ignores every
other group. A misspelled group (``compute`` for ``computes``) is therefore
no error to Ansible: its hosts silently get nothing. ``group_problems`` finds
that, a host no play deploys, groups of components this release does not
deploy yet, and groups with more hosts than the code can honour.
"""

import difflib

# Groups every inventory has.
_IMPLICIT = {"all", "ungrouped"}


def hosts_phrase(hosts, limit=4):
    """Hosts for a message: all of them sorted, or the first ``limit`` and how many more."""
    hosts = sorted(hosts)
    if len(hosts) <= limit:
        return ", ".join(hosts)
    return f"{', '.join(hosts[:limit])} and {len(hosts) - limit} more"


def group_problems(groups, deployed, reserved=None, extra=(), limits=None):
    """Problems of the inventory's groups, each naming the group or host and the fix.

    ``groups`` maps a group to its hosts, children's hosts included (Ansible's
    ``groups``). ``deployed`` are the groups DozenCloud's plays deploy;
    ``reserved`` maps groups of components not deployed yet to the
    component's name; ``extra`` are groups the site's own plays use;
    ``limits`` maps a group to ``{"max": N, "why": text}``.
    """
    reserved = reserved or {}
    limits = limits or {}
    used = set(deployed) | set(extra)
    problems = []
    for group, limit in sorted(limits.items()):
        hosts = groups.get(group) or []
        if len(hosts) > limit["max"]:
            problems.append(
                f"site: the group {group} has {len(hosts)} hosts ({hosts_phrase(hosts)}), but DozenCloud "
                f"deploys at most {limit['max']} there: {limit['why']}. Fix: keep "
                f"{limit['max']} host{'s' if limit['max'] != 1 else ''} in {group}."
            )
    for group, component in sorted(reserved.items()):
        hosts = groups.get(group) or []
        if hosts and group not in used:
            problems.append(
                f"site: the group {group} has hosts ({hosts_phrase(hosts)}), but this release of DozenCloud "
                f"does not deploy {component} yet, so they would get nothing from it. Fix: leave "
                f"{group} out of the inventory until DozenCloud deploys {component}."
            )
    names = sorted(used | set(reserved))
    for group in sorted(groups):
        hosts = groups[group] or []
        if not hosts or group in _IMPLICIT or group in used or group in reserved:
            continue
        close = difflib.get_close_matches(group, names, n=1, cutoff=0.75)
        if close:
            problems.append(
                f"site: the group {group} has hosts ({hosts_phrase(hosts)}), but no DozenCloud play uses "
                f"it: did you mean {close[0]}? Fix: rename the group to {close[0]}, or list "
                f"{group} in prechecks_extra_groups if a play of your own uses it."
            )
    members = {}
    for group, hosts in groups.items():
        if group != "all":
            for host in hosts or []:
                members.setdefault(host, set()).add(group)
    for host in sorted(groups.get("all") or []):
        if members.get(host, set()) & used:
            continue
        own = sorted(members.get(host, set()) - {"ungrouped"})
        where = f"in the groups {', '.join(own)} only" if own else "in no group"
        problems.append(
            f"{host}: is {where}, and no DozenCloud play deploys those, so it would get nothing "
            f"but the host preparation every host gets. Fix: put {host} in "
            f"{' or '.join(sorted(deployed))}, list its group in prechecks_extra_groups if a play of "
            "your own uses it, or remove it from the inventory."
        )
    return problems
