# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Which running services started before their configuration last changed.

A deploy writes a service's configuration, then restarts the service in a
handler at the end of the play (or in a later task). A run killed between the
two leaves the new file on disk and the old process running; the next run finds
the file unchanged and restarts nothing. This module answers from the state
itself, so it needs no marker that a killed run could fail to write: a service
is stale when it is running and a file it reads is newer than its process, or
than the last reload DozenCloud recorded for it.

Pure functions: the module reads ``systemctl show`` and the files' times and
passes them here.
"""

import datetime

# systemctl show --timestamp=us+utc: "Fri 2026-12-04 22:31:06.351729 UTC".
_TIMESTAMP = "%a %Y-%m-%d %H:%M:%S.%f UTC"

# The states in which a process may hold an old configuration.
RUNNING = ("active", "reloading", "deactivating")

PROPERTIES = (
    "LoadState",
    "ActiveState",
    "ExecMainStartTimestamp",
    "ActiveEnterTimestamp",
    "NeedDaemonReload",
)


def parse_timestamp(text):
    """Seconds since the epoch of a ``--timestamp=us+utc`` value, or None when empty."""
    text = text.strip()
    if not text or text == "n/a":
        return None
    stamp = datetime.datetime.strptime(text, _TIMESTAMP)
    return stamp.replace(tzinfo=datetime.UTC).timestamp()


def parse_show(text, units):
    """Split ``systemctl show -p ... UNIT...`` output into one dict per unit.

    systemctl prints one block of ``Key=value`` lines per unit, in the order the
    units were given, separated by an empty line.
    """
    blocks = [b for b in text.strip("\n").split("\n\n")]
    if len(blocks) != len(units):
        raise ValueError(f"systemctl show gave {len(blocks)} blocks for {len(units)} units")
    result = {}
    for unit, block in zip(units, blocks, strict=True):
        props = {}
        for line in block.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                props[key] = value
        result[unit] = props
    return result


def started_at(props, reloaded=None):
    """When the unit's process last (re)read its configuration, in epoch seconds.

    The main process's start (the active state's start for units without one,
    such as sockets), or ``reloaded``, the time of the last recorded reload, if
    that is later.
    """
    start = parse_timestamp(props.get("ExecMainStartTimestamp", "")) or parse_timestamp(
        props.get("ActiveEnterTimestamp", "")
    )
    if start is None:
        return reloaded
    return max(start, reloaded) if reloaded is not None else start


def staleness(unit, props, newest, reloaded=None):
    """Why ``unit`` must restart, or None.

    ``newest`` is ``(path, mtime)`` of its newest configuration file, or None
    when none exists. A unit that is not loaded or not running is never stale:
    the role starts it, and it then reads the files as they are.
    """
    if props.get("LoadState") != "loaded" or props.get("ActiveState") not in RUNNING:
        return None
    if props.get("NeedDaemonReload") == "yes":
        return {
            "unit": unit,
            "reason": "its unit file or a drop-in changed after systemd loaded it",
        }
    if newest is None:
        return None
    since = started_at(props, reloaded)
    path, mtime = newest
    if since is None or mtime > since:
        return {
            "unit": unit,
            "reason": f"{path} changed after it (re)started",
            "changed_at": _iso(mtime),
            "started_at": _iso(since) if since is not None else None,
        }
    return None


def _iso(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).isoformat(timespec="microseconds")
