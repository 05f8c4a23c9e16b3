# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Where a site's data lives, and whether the primary controller holds it.

The databases, the RabbitMQ users, the OVN databases and keystone's keys are
made on one controller, the primary (dozen_primary_controller). A deploy
whose primary holds none of them while another controller does would make
them again, empty, on the primary. ``primary_problems`` finds that from what
``dozencloud.cloud.service_data`` reported on each controller.

Pure functions, unit-tested on probes recorded from lab controllers.
"""


def holders(probes):
    """{kind of data: [hosts that hold it]} from {host: service_data's ``held``}."""
    found = {}
    for host in sorted(probes):
        for kind in sorted((probes[host] or {}).get("held", {})):
            found.setdefault(kind, []).append(host)
    return found


def primary_problems(probes, primary, controllers, variable="dozen_primary_controller"):
    """Messages refusing a primary that holds none of the data another controller holds.

    ``probes`` maps each controller probed to service_data's result (None for a
    controller that was not probed). A new site, where no controller holds
    anything, has no problem.
    """
    if primary not in controllers:
        return [
            f"{variable} is '{primary}', which is not a host of the controllers "
            f"({', '.join(controllers) or 'none'}). Fix: name one of them."
        ]
    found = holders({h: p for h, p in probes.items() if h in controllers})
    missing = {kind: hosts for kind, hosts in found.items() if primary not in hosts}
    if not missing:
        return []
    others = sorted({h for hosts in missing.values() for h in hosts})
    what = "; ".join(f"{kind} on {', '.join(hosts)}" for kind, hosts in sorted(missing.items()))
    fix = others[0] if len(others) == 1 else None
    message = (
        f"{primary} is the primary controller ({variable}; by default the first host of the "
        f"controllers group), where a deploy makes the site's databases, RabbitMQ users, OVN "
        f"databases and keystone keys, but it lacks data another controller holds ({what}). "
        f"A deploy would make them again, empty, on {primary}. "
    )
    if fix:
        message += f"Fix: set {variable}: {fix} (or list {fix} first in the controllers group)."
    else:
        message += (
            f"The data is split across {', '.join(others)}. Fix: set {variable} to the "
            "controller whose data the site uses, after moving the rest of the data there."
        )
    return [message]
