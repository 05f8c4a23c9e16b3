#!/usr/bin/env python3
"""Benchmark the control plane on one lab controller.

Measures, on this machine, `ansible-playbook playbooks/site.yml` on a site of
one amd64 controller:
  cold      the first converge with an empty apt cache (a temporary lab cache
            holding only the cached base images, so every package is
            downloaded from the Debian archive);
  warm      the first converge of a fresh controller with the apt cache full;
  no-change a second converge of a converged controller (must report
            changed=0), after both.

Run as root from the project venv:  python benchmarks/control_plane.py [--skip-cold]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_CACHE = Path(os.environ.get("DOZEN_LAB_CACHE", "/var/cache/dozencloud/lab"))

TOPOLOGY = """\
plugin: dozencloud.cloud.lab
lab: {name: benchcp, network: 198.18.6.0/24}
hosts:
  - {name: bcp01, arch: amd64, address: 198.18.6.11, memory: 6G, groups: [controllers]}
"""

GROUP_VARS = """\
dozen_site_name: benchcp
dozen_networks:
  management:
    cidr: "{{ dozen_lab_network }}"
    vip: "{{ dozen_lab_network | dozencloud.cloud.net_host_address(10) }}"
host_prep_apt_proxy: "http://{{ dozen_lab_gateway }}:3142"
host_prep_ntp_servers: ["{{ dozen_lab_gateway }}"]
host_prep_ntp_pools: []
prechecks_required_groups: [controllers]
"""


def run(argv, env, log: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if log:
        log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        sys.exit(f"{' '.join(map(str, argv))} failed (rc {proc.returncode}):\n{tail}")
    return proc


def recap(text: str) -> dict:
    match = re.search(r"bcp01\s+: ok=(\d+)\s+changed=(\d+)", text)
    return {"ok": int(match.group(1)), "changed": int(match.group(2))} if match else {}


def converge(inventory: Path, env, log: Path) -> tuple[float, dict]:
    start = time.monotonic()
    proc = run([BIN / "ansible-playbook", "-i", inventory, "playbooks/site.yml"], env, log)
    return time.monotonic() - start, recap(proc.stdout)


def measure(label: str, work: Path, env) -> list[str]:
    inventory = work / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
    (inventory / "lab.yml").write_text(TOPOLOGY)
    (inventory / "group_vars" / "all" / "main.yml").write_text(GROUP_VARS)
    run([BIN / "dozen", "passwords", "-i", inventory], env)
    env = dict(env, DOZEN_LAB_TOPOLOGY=str(inventory / "lab.yml"))
    run([BIN / "dozen", "lab", "up", "--topology", inventory / "lab.yml"], env)
    try:
        first, first_recap = converge(inventory, env, work / f"{label}.log")
        again, again_recap = converge(inventory, env, work / f"{label}-again.log")
    finally:
        run([BIN / "dozen", "lab", "down", "--purge"], env)
    if again_recap.get("changed") != 0:
        sys.exit(f"{label}: the second converge changed something: {again_recap}")
    return [
        f"{label:<10} first converge {first:7.1f} s  ({first_recap})",
        f"{label:<10} no-change run  {again:7.1f} s  ({again_recap})",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cold", action="store_true", help="measure the warm case only")
    args = parser.parse_args()
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    lines = [
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB"
    ]
    with tempfile.TemporaryDirectory(prefix="dozen-bench-cp-") as tmp:
        tmp = Path(tmp)
        if not args.skip_cold:
            cache = tmp / "cache"
            cache.mkdir()
            # Base images only (hard links): the apt cache starts empty.
            run(["cp", "-a", "--link", DEFAULT_CACHE / "images", cache / "images"], env)
            lines += measure("cold", tmp / "cold", dict(env, DOZEN_LAB_CACHE=str(cache)))
        lines += measure("warm", tmp / "warm", env)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
