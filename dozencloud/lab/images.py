"""Cached Debian base images for lab hosts.

An image is a debootstrap tree of one suite and architecture, prepared once
for booting under systemd-nspawn. Its directory name carries a hash of the
recipe, so a changed recipe builds a new image instead of silently reusing a
stale one; clones never see an image change underneath them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from dozencloud.lab import system

# Packages every lab host boots with: enough for systemd, sshd and Ansible.
INCLUDE = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "iproute2",
    "iputils-ping",
    "procps",
    "openssh-server",
    "python3",
    "python3-apt",
    "sudo",
    "ca-certificates",
)

# Speeds up package installs on lab hosts (most of all under emulation):
# no fsync per file, and no documentation unpacked.
DPKG_SPEEDUP = """\
# DozenCloud lab: fast, small installs.
force-unsafe-io
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
"""

APT_SPEEDUP = """\
// DozenCloud lab: hosts install without recommends unless asked.
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
"""

RECIPE_VERSION = 3


def recipe(suite: str, arch: str, mirror: str) -> dict:
    return {
        "version": RECIPE_VERSION,
        "suite": suite,
        "arch": arch,
        "mirror": mirror,
        "include": list(INCLUDE),
        "dpkg": DPKG_SPEEDUP,
        "apt": APT_SPEEDUP,
    }


def image_dir(cache: Path, suite: str, arch: str, mirror: str) -> Path:
    digest = hashlib.sha256(
        json.dumps(recipe(suite, arch, mirror), sort_keys=True).encode()
    ).hexdigest()[:12]
    return cache / "images" / f"{suite}-{arch}-{digest}"


def ensure(cache: Path, suite: str, arch: str, mirror: str, log) -> Path:
    """Return a ready image directory, building it first when absent."""
    target = image_dir(cache, suite, arch, mirror)
    if (target / ".dozen-image.json").exists():
        return target
    system.require_binfmt(arch)
    build = target.with_name(target.name + ".building")
    if build.exists():
        shutil.rmtree(build)
    build.mkdir(parents=True)
    started = time.monotonic()
    log(f"building {suite}/{arch} base image (debootstrap, cached for later runs)")
    cmd = [
        "debootstrap",
        "--variant=minbase",
        f"--arch={arch}",
        f"--include={','.join(INCLUDE)}",
        suite,
        str(build),
        mirror,
    ]
    env = dict(os.environ)
    proxy = system.apt_proxy_for_build()
    if proxy:
        env["http_proxy"] = proxy
    logfile = target.with_name(target.name + ".log")
    with open(logfile, "w") as out:
        rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    if rc != 0:
        raise system.LabError(
            f"debootstrap of {suite}/{arch} failed (exit {rc}); see {logfile}. "
            "Check that Debian's archive is reachable and qemu-user-static is registered."
        )
    _prepare(build)
    meta = recipe(suite, arch, mirror) | {"built_seconds": round(time.monotonic() - started, 1)}
    (build / ".dozen-image.json").write_text(json.dumps(meta, indent=2) + "\n")
    build.rename(target)
    log(f"built {target.name} in {meta['built_seconds']} s")
    return target


def _prepare(root: Path) -> None:
    """Make a debootstrap tree a bootable, clonable lab image."""
    (root / "etc/dpkg/dpkg.cfg.d/90dozen-lab").write_text(DPKG_SPEEDUP)
    (root / "etc/apt/apt.conf.d/90dozen-lab").write_text(APT_SPEEDUP)
    # Identity is per host: every clone gets its own before first boot.
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc/machine-id").write_text("")
    dbus_id = root / "var/lib/dbus/machine-id"
    if dbus_id.exists() or dbus_id.is_symlink():
        dbus_id.unlink()
    (root / "etc/hostname").write_text("unset\n")
    # Containers have no hardware clock or kernel modules to manage.
    for unit in ("systemd-timesyncd.service", "getty@tty1.service"):
        mask = root / "etc/systemd/system" / unit
        if not mask.exists():
            mask.symlink_to("/dev/null")
    # Clean the package lists: hosts get theirs through the lab's apt cache.
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
    (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
