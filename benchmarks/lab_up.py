#!/usr/bin/env python3
"""Benchmark the lab: how long until every host answers `ansible -m ping`.

Measures, on this machine:
  cold-2   1 amd64 + 1 arm64 host, base images built from scratch (a fresh,
           temporary image cache; the real cache is left alone);
  warm-2   the same hosts from the cached images;
  warm-16  8 amd64 + 8 arm64 hosts from the cached images;
and the cost of one trivial Ansible task on an amd64 and on an arm64 host.

Run as root from the project venv:  python benchmarks/lab_up.py [--skip-cold]
Targets (issue 2): warm-2 under 30 s, warm-16 under 3 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TASKS = 20


def topology(n_amd64: int, n_arm64: int) -> str:
    hosts = []
    for i in range(n_amd64):
        hosts.append(
            f"  - {{name: bx{i:02d}, arch: amd64, address: 198.18.5.{11 + i}, "
            "memory: 512M, groups: [controllers]}"
        )
    for i in range(n_arm64):
        hosts.append(
            f"  - {{name: ba{i:02d}, arch: arm64, address: 198.18.5.{111 + i}, "
            "memory: 512M, groups: [computes]}"
        )
    return (
        "plugin: dozencloud.cloud.lab\nlab: {name: bench, network: 198.18.5.0/24}\nhosts:\n"
        + "\n".join(hosts)
        + "\n"
    )


def sh(argv, env=None, check=True):
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, argv))} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def lab_up_until_ping(topo: Path, env) -> dict:
    t0 = time.monotonic()
    up = json.loads(sh([BIN / "dozen", "lab", "up", "--topology", topo], env).stdout)
    t_up = time.monotonic() - t0
    sh([BIN / "ansible", "-i", topo, "all", "-m", "ansible.builtin.ping"], env)
    return {
        "seconds": round(time.monotonic() - t0, 1),
        "lab_up_seconds": round(t_up, 1),
        "hosts": len(up["ssh_wait"]),
    }


def trivial_task_cost(topo: Path, env, host: str) -> float:
    """Seconds per trivial task: (N+1 tasks - 1 task) / N, fact gathering excluded."""

    def play(n):
        pb = Path(tempfile.mkstemp(suffix=".yml")[1])
        pb.write_text(
            f"- hosts: {host}\n  gather_facts: false\n  tasks:\n"
            + "".join(
                "    - ansible.builtin.command: 'true'\n      changed_when: false\n"
                for _ in range(n)
            )
        )
        t0 = time.monotonic()
        sh([BIN / "ansible-playbook", "-i", topo, pb], env)
        pb.unlink()
        return time.monotonic() - t0

    play(1)  # warm the SSH control connection
    return round((play(TASKS + 1) - play(1)) / TASKS, 3)


def down(env):
    sh([BIN / "dozen", "lab", "down", "--purge"], env, check=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-cold", action="store_true", help="skip the cold (image build) run")
    args = ap.parse_args()
    env = dict(os.environ)
    work = Path(tempfile.mkdtemp(prefix="dozen-bench-"))
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB",
    }
    two, sixteen = work / "two.lab.yml", work / "sixteen.lab.yml"
    two.write_text(topology(1, 1))
    sixteen.write_text(topology(8, 8))
    down(env)
    try:
        if not args.skip_cold:
            cold_env = dict(env, DOZEN_LAB_CACHE=str(work / "cold-cache"))
            results["cold-2"] = lab_up_until_ping(two, cold_env)
            down(cold_env)
        lab_up_until_ping(two, env)  # make sure the real cache holds both images
        down(env)
        results["warm-2"] = lab_up_until_ping(two, env)
        results["task-seconds"] = {
            "amd64": trivial_task_cost(two, env, "bx00"),
            "arm64": trivial_task_cost(two, env, "ba00"),
        }
        down(env)
        results["warm-16"] = lab_up_until_ping(sixteen, env)
    finally:
        down(env)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
