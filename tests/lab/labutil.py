"""Helpers shared by the lab tests."""

import os
import subprocess
from pathlib import Path


def lab_leftovers():
    """What a lab can leave behind on the lab machine."""
    procs = subprocess.run(["ps", "-eo", "stat=,comm="], capture_output=True, text=True).stdout
    lab_procs = sorted(
        line.split(None, 1)[1]
        for line in procs.splitlines()
        if not line.startswith("Z")
        and line.split(None, 1)[1].strip() in ("systemd-nspawn", "apt-cacher-ng", "chronyd")
    )
    mounts = sorted(
        line.split()[1]
        for line in Path("/proc/self/mounts").read_text().splitlines()
        if "dozencloud" in line.split()[1] or line.split()[1].startswith("/run/netns")
    )
    links = sorted(n for n in os.listdir("/sys/class/net") if n.startswith(("dz", "vb-")))
    state = Path(os.environ.get("DOZEN_LAB_STATE", "/var/lib/dozencloud/lab"))
    locks = sorted(str(p) for p in state.glob("hosts/*/.#*.lck"))
    cgroups = sorted(str(p) for p in Path("/sys/fs/cgroup").glob("*/dozenlab"))
    runtime = Path(os.environ.get("DOZEN_LAB_RUNTIME", "/run/dozencloud-lab"))
    return {
        "processes": lab_procs,
        "mounts": mounts,
        "links": links,
        "locks": locks,
        "cgroups": cgroups,
        "runtime": runtime.exists(),
    }
