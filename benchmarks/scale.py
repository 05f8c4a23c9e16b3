#!/usr/bin/env python3
"""Benchmark how a run scales with hosts: host preparation, no-change, on 1 and 16 lab hosts.

For each lab size (by default one arm64 host, one amd64 host, then 8 amd64 +
8 arm64 hosts) it brings the lab up from purged hosts, converges site.yml's
"Prepare every host" play (the dozen and host_prep roles) once, then runs it
again under each strategy, which must change nothing, and prints:
  - the wall time of the no-change run;
  - the CPU seconds of the Ansible process and everything it ran on this
    machine (workers, Mitogen's multiplexer, ssh), in all and per host-task
    (a task on a host: ok, changed or skipped in the recap);
  - the 16-host wall time against the 1-host one of the slowest kind (arm64,
    under qemu-user), which bounds the 16-host run too.

The lab hosts' own CPU (emulated Python included) is not the Ansible
process's: they run in their own containers, not as its children. It is
printed apart (the lab's cgroup), with how busy the machine's cores were:
on this 2-core machine the lab hosts and Ansible share them.

Run as root from the project venv:  python benchmarks/scale.py [--strategies linear,mitogen_linear]
Target (issue 11): 16 hosts no-change in 3 times the 1-host time or less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NETWORK = "198.18.6"

PLAYBOOK = """\
- name: Prepare every host
  hosts: all
  gather_facts: true
  roles:
    - role: dozencloud.cloud.dozen
    - role: dozencloud.cloud.host_prep
"""

GROUP_VARS = """\
dozen_site_name: scale
dozen_networks:
  management:
    cidr: "{{ dozen_lab_network }}"
    vip: "{{ dozen_lab_network | dozencloud.cloud.net_host_address(10) }}"
host_prep_apt_proxy: "http://{{ dozen_lab_gateway }}:3142"
host_prep_ntp_servers: ["{{ dozen_lab_gateway }}"]
host_prep_ntp_pools: []
dozen_emulation_allowed: true
"""

SIZES = {
    "1 arm64": (0, 1),
    "1 amd64": (1, 0),
    "8 amd64 + 8 arm64": (8, 8),
}


def topology(n_amd64: int, n_arm64: int) -> str:
    # The site needs a controller: a lone arm64 host is one as well.
    arm64_groups = "[computes]" if n_amd64 else "[controllers, computes]"
    hosts = [
        f"  - {{name: sx{i:02d}, arch: amd64, address: {NETWORK}.{11 + i}, memory: 1G, "
        "groups: [controllers]}"
        for i in range(n_amd64)
    ] + [
        f"  - {{name: sa{i:02d}, arch: arm64, address: {NETWORK}.{111 + i}, memory: 1G, "
        f"groups: {arm64_groups}}}"
        for i in range(n_arm64)
    ]
    return (
        f"plugin: dozencloud.cloud.lab\nlab: {{name: scale, network: {NETWORK}.0/24}}\nhosts:\n"
        + "\n".join(hosts)
        + "\n"
    )


def sh(argv, env=None):
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        failures = [line for line in proc.stdout.splitlines() if '"msg"' in line][-5:]
        out = "\n".join(failures) or (proc.stdout + proc.stderr)[-4000:]
        sys.exit(f"{' '.join(map(str, argv))} failed:\n{out}")
    return proc


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def cgroup_cpu(group: str = "") -> float:
    """CPU seconds a cgroup used so far: the whole machine, or the lab hosts (dozenlab)."""
    path = CPUACCT / group / "cpuacct.usage"
    return int(path.read_text()) / 1e9 if path.exists() else 0.0


def converge(work: Path, strategy: str) -> dict:
    """One run of the play; its wall time, CPU seconds and per-host recap."""
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_STRATEGY=strategy,
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        # The json callback writes one document; profile_tasks (ansible.cfg) prints around it.
        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
    )
    cpu0, hosts0, all0, t0 = children_cpu(), cgroup_cpu("dozenlab"), cgroup_cpu(), time.monotonic()
    proc = sh([BIN / "ansible-playbook", "-i", work / "lab.yml", work / "prepare.yml"], env)
    wall, cpu = time.monotonic() - t0, children_cpu() - cpu0
    hosts, machine = cgroup_cpu("dozenlab") - hosts0, cgroup_cpu() - all0
    stats = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("{") :])[0]["stats"]
    host_tasks = sum(s["ok"] + s["skipped"] + s["failures"] for s in stats.values())
    return {
        "strategy": strategy,
        "seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "host_tasks": host_tasks,
        "cpu_per_host_task": round(cpu / host_tasks, 4),
        "changed": sum(s["changed"] for s in stats.values()),
        "hosts": len(stats),
        # The lab hosts' own CPU (their emulated Python included), and the
        # machine's: how busy its cores were.
        "lab_hosts_cpu_seconds": round(hosts, 1),
        "machine_cpu_seconds": round(machine, 1),
        "machine_busy": round(machine / (wall * (os.cpu_count() or 1)), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--strategies", default="mitogen_linear,linear")
    ap.add_argument("--sizes", default=",".join(SIZES), help=f"among: {', '.join(SIZES)}")
    args = ap.parse_args()
    strategies = args.strategies.split(",")
    env = dict(os.environ)
    work = Path(tempfile.mkdtemp(prefix="dozen-scale-"))
    (work / "prepare.yml").write_text(PLAYBOOK)
    (work / "group_vars").mkdir()
    (work / "group_vars" / "all.yml").write_text(GROUP_VARS)
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB",
        "runs": {},
    }
    down = [BIN / "dozen", "lab", "down", "--purge"]
    try:
        for size in args.sizes.split(","):
            subprocess.run(down, cwd=ROOT, env=env, capture_output=True)
            (work / "lab.yml").write_text(topology(*SIZES[size]))
            sh([BIN / "dozen", "lab", "up", "--topology", work / "lab.yml"], env)
            first = converge(work, strategies[0])
            runs = [converge(work, s) for s in strategies]
            for run in runs:
                if run["changed"]:
                    sys.exit(f"{size}: the no-change run under {run['strategy']} changed {run}")
            results["runs"][size] = {"first converge": first, "no-change": runs}
            print(f"{size}: first converge {first['seconds']} s ({strategies[0]})", flush=True)
            for run in runs:
                print(
                    f"  no-change {run['strategy']:15} {run['seconds']:7.1f} s  "
                    f"ansible cpu {run['cpu_seconds']:6.1f} s  {run['host_tasks']:4d} host-tasks  "
                    f"{run['cpu_per_host_task']:.4f} cpu-s per host-task  "
                    f"lab hosts cpu {run['lab_hosts_cpu_seconds']:6.1f} s  "
                    f"cores busy {100 * run['machine_busy']:.0f} %",
                    flush=True,
                )
    finally:
        subprocess.run(down, cwd=ROOT, env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    one = results["runs"].get("1 arm64", {}).get("no-change", [])
    many = results["runs"].get("8 amd64 + 8 arm64", {}).get("no-change", [])
    for a, b in zip(one, many, strict=False):
        ratio = b["seconds"] / a["seconds"]
        # What each further host-task costs Ansible, without its start-up.
        marginal = (b["cpu_seconds"] - a["cpu_seconds"]) / (b["host_tasks"] - a["host_tasks"])
        print(
            f"16 hosts / 1 arm64 host, {a['strategy']}: {ratio:.2f} (target <= 3); "
            f"ansible cpu per further host-task {marginal:.4f} s"
        )
        results.setdefault("ratio_16_to_1", {})[a["strategy"]] = round(ratio, 2)
        results.setdefault("marginal_cpu_per_host_task", {})[a["strategy"]] = round(marginal, 4)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
