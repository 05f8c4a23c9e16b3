# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""When apt_packages may skip the apt module: pure functions on its arguments and dpkg's answer."""

from __future__ import annotations

import re

# A plain Debian package name, optionally with an architecture (name:arm64).
_NAME = re.compile(r"^[a-z0-9][a-z0-9.+-]+(:[a-z0-9-]+)?$")
# Arguments that only shape how apt would install: they do not change that an
# installed package needs nothing.
_NEUTRAL = {
    "name",
    "pkg",
    "package",
    "state",
    "install_recommends",
    "lock_timeout",
    "allow_downgrade",
    "allow_unauthenticated",
    "allow_change_held_packages",
    "dpkg_options",
    "force",
    "force_apt_get",
    "policy_rc_d",
    "default_release",
}


def fast_path_names(args):
    """The package names when the task only asks for plain packages to be present or absent.

    Versions (name=1.2), wildcards, .deb files, upgrades, cache updates,
    purges, autoremove and any other option leave the task to the apt module
    ([] is returned).
    """
    if set(args) - _NEUTRAL or args.get("state", "present") not in ("present", "absent"):
        return []
    names = args.get("name", args.get("pkg", args.get("package")))
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    if not isinstance(names, list) or not names:
        return []
    if not all(isinstance(n, str) and _NAME.match(n) for n in names):
        return []
    return names


def installed(names, dpkg_query_output):
    """Whether dpkg-query's ``${Package}\t${db:Status-Abbrev}`` lines show every name installed.

    The abbreviation is the wanted state, the current state and an error
    flag. Installed means current state "i" with no error flag (ii, hi). A
    name dpkg does not know, or knows in another state (rc: removed with its
    configuration left; iU: unpacked, not configured; iiR: reinstall
    required), is not.
    """
    ok = set()
    for line in dpkg_query_output.splitlines():
        package, _, abbrev = line.partition("\t")
        if len(abbrev) >= 2 and abbrev[1] == "i" and abbrev[2:].strip() == "":
            ok.add(package)
    return all(name.split(":")[0] in ok for name in names)


def absent(names, dpkg_query_output):
    """Whether none of the names is installed, even in part: apt remove would do nothing.

    Current state "n" (not installed) or "c" (only configuration files left,
    which apt remove without purge leaves alone), or no line at all, is absent.
    """
    present = set()
    for line in dpkg_query_output.splitlines():
        package, _, abbrev = line.partition("\t")
        if len(abbrev) >= 2 and abbrev[1] not in ("n", "c"):
            present.add(package)
    return not any(name.split(":")[0] in present for name in names)
