#!/usr/bin/env python3
"""Benchmark registering services in keystone: openstack.cloud task by task, against one call.

On a deployed site (by default the aio lab after `./scripts/aio`), it runs
the four services' keystone registrations the control plane makes (glance,
placement, neutron and nova: catalog service, endpoints, service user and its
roles), as a no-change pass, with:
  before  the service_keystone role as it was, openstack.cloud's
          catalog_service, endpoint, identity_user and role_assignment, a
          task per item (taken from git, commit BEFORE below);
  after   the role as it is: one dozencloud.cloud.keystone_registration
          task per service.
Each pass must change nothing. It prints the wall time of each pass, under
each strategy, and the number of module runs.

Run as root from the project venv:  python benchmarks/keystone_registration.py [-i INVENTORY]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BEFORE = "d5d27d4"  # the last commit with the openstack.cloud service_keystone
ROLE_FILES = ("tasks/main.yml", "defaults/main.yml", "meta/argument_specs.yml", "meta/main.yml")
RUNS = 3

# The catalog entries the control-plane roles register, at the site's VIPs.
SERVICES = [
    ("glance", "image", "OpenStack Image service", ":9292"),
    ("placement", "placement", "OpenStack Placement service", ":8778"),
    ("neutron", "network", "OpenStack Networking service", ":9696"),
    ("nova", "compute", "OpenStack Compute", ":8774/v2.1"),
]
INTERNAL = "{{ dozen_endpoint_scheme }}://{{ dozen_internal_endpoint_host }}"
PUBLIC = "{{ dozen_endpoint_scheme }}://{{ dozen_public_endpoint_host }}"


def playbook(role: str) -> str:
    """One include of the role per service, as the service roles include it."""
    tasks = []
    for name, kind, description, port in SERVICES:
        endpoints = {
            "internal": INTERNAL + port,
            "admin": INTERNAL + port,
            "public": PUBLIC + port,
        }
        service = {"name": name, "type": kind, "description": description, "endpoints": endpoints}
        tasks.append(
            {
                "name": f"Register {name}",
                "ansible.builtin.include_role": {"name": role},
                "vars": {
                    "service_keystone_services": [service],
                    "service_keystone_user": name,
                    "service_keystone_password": f"{{{{ {name}_keystone_password }}}}",
                },
            }
        )
    play = {
        "name": "Register the services in keystone",
        "hosts": "{{ dozen_controllers_group | default('controllers') }}",
        "gather_facts": False,
        "roles": [{"role": "dozencloud.cloud.dozen"}],
        "tasks": tasks,
    }
    return json.dumps([play], indent=1)


def old_role(work: Path) -> Path:
    role = work / "service_keystone_before"
    for name in ROLE_FILES:
        path = role / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = subprocess.run(
            ["git", "show", f"{BEFORE}:roles/service_keystone/{name}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        path.write_text(text)
    return role


def one_pass(book: Path, inventory: Path, strategy: str) -> tuple[float, int]:
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_STRATEGY=strategy,
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
    )
    started = time.monotonic()
    proc = subprocess.run(
        [BIN / "ansible-playbook", "-i", inventory, book],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"{book.name} failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    doc = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("{") :])[0]
    changed = sum(s["changed"] for s in doc["stats"].values())
    if changed:
        sys.exit(f"{book.name} under {strategy} changed {changed} things: not a no-change pass")
    runs = 0  # module runs of the role's tasks: an item of a loop is one
    for play in doc["plays"]:
        for task in play["tasks"]:
            if "service_keystone" not in task["task"]["name"] or "arg spec" in task["task"]["name"]:
                continue
            for result in task["hosts"].values():
                if not result.get("skipped"):
                    runs += len(result.get("results", [])) or 1
    return seconds, runs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-i", "--inventory", type=Path, default=ROOT / "inventories" / "aio")
    ap.add_argument("--strategies", default="mitogen_linear,linear")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dozen-bench-ks-") as tmp:
        work = Path(tmp)
        books = {
            "before": work / "before.yml",
            "after": work / "after.yml",
        }
        books["before"].write_text(playbook(str(old_role(work))))
        books["after"].write_text(playbook("dozencloud.cloud.service_keystone"))
        print(
            f"{'':<10}{'strategy':<16}{'pass (median of ' + str(RUNS) + ')':>22}{'module runs':>14}"
        )
        for strategy in args.strategies.split(","):
            for name, book in books.items():
                passes = [one_pass(book, args.inventory, strategy) for _ in range(RUNS)]
                median = statistics.median(p[0] for p in passes)
                print(f"{name:<10}{strategy:<16}{median:>20.1f} s{passes[0][1]:>14}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
