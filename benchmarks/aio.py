#!/usr/bin/env python3
"""Benchmark the main job: the all-in-one lab from bare hosts to the guest's marker.

Runs, on this machine, what ./scripts/aio runs (after its installs): the aio
lab from purged hosts, `dozen passwords`, `dozen deploy` (site.yml) and
`dozen verify` (verify.yml, which boots the aarch64 UEFI test guest on the
arm64 compute), then `dozen deploy` again, which must change nothing.

It prints:
  - the wall time of each step and in all, from bare hosts to the marker;
  - the no-change re-run, with its tasks and their summed cost per host;
  - the guest's boot-to-marker time, as verify measured it;
  - the floor: the time the same run spent in package installs, database
    migrations and the guest's boot (from the run's own event log, as the
    union of those tasks' intervals), and what is left: DozenCloud's own
    overhead (facts, templates, checks, service restarts, SSH round trips).

--cold starts from an empty apt cache (a temporary lab cache holding only
the cached base images), so every package comes from the Debian archive.

Run as root from the project venv:  python benchmarks/aio.py [--cold] [--keep]
Targets (issue 5): bare hosts to marker <= 25 min, no-change re-run <= 2 min.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
INVENTORY = ROOT / "inventories" / "aio"
DEFAULT_CACHE = Path(os.environ.get("DOZEN_LAB_CACHE", "/var/cache/dozencloud/lab"))

# What the floor counts, by task: (category, test on the event's task data).
PACKAGES = {"ansible.builtin.apt", "apt", "ansible.builtin.package", "package"}
MIGRATION = re.compile(r"Migrate the .* databases?|Map cell|Create cell")
GUEST_BOOT = re.compile(r"Boot the test guest|Wait for the guest's marker line")


def run(argv, env, label: str, log_dir: Path) -> float:
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    (log_dir / f"{label}.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        sys.exit(f"{label}: {' '.join(map(str, argv))} failed (rc {proc.returncode}):\n{tail}")
    return seconds


def events(run_dir: Path) -> list[dict]:
    files = run_dir.glob("artifacts/*/job_events/*.json")
    return sorted((json.loads(f.read_text()) for f in files), key=lambda e: e["counter"])


def category(data: dict) -> str | None:
    action, task = data.get("task_action", ""), data.get("task", "")
    if action in PACKAGES:
        return "package installs"
    if MIGRATION.search(task):
        return "database migrations"
    if GUEST_BOOT.search(task):
        return "guest boot"
    return None


def host_results(run_dir: Path) -> list[tuple[str, str, float, float, str | None]]:
    """(host, task, start, end, floor category) of every finished task on every host."""
    out = []
    for event in events(run_dir):
        data = event.get("event_data") or {}
        if not event["event"].startswith("runner_on_") or not data.get("start"):
            continue
        if event["event"] in ("runner_on_start", "runner_on_skipped"):
            continue
        start = datetime.fromisoformat(data["start"]).timestamp()
        end = datetime.fromisoformat(data["end"]).timestamp()
        out.append((data.get("host", "?"), data.get("task", ""), start, end, category(data)))
    return out


def union_seconds(intervals) -> float:
    total, last_end = 0.0, None
    for start, end in sorted(intervals):
        if last_end is None or start > last_end:
            total += end - start
            last_end = end
        elif end > last_end:
            total += end - last_end
            last_end = end
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="start from an empty apt cache")
    parser.add_argument("--keep", action="store_true", help="leave the lab up at the end")
    args = parser.parse_args()
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    env["DOZEN_LAB_TOPOLOGY"] = str(INVENTORY / "lab.yml")
    dozen = str(BIN / "dozen")
    lines = [
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB"
        f"; apt cache {'empty (cold)' if args.cold else 'warm'}"
    ]
    with tempfile.TemporaryDirectory(prefix="dozen-bench-aio-") as tmp:
        tmp = Path(tmp)
        if args.cold:
            cache = tmp / "cache"
            cache.mkdir()
            subprocess.run(
                ["cp", "-a", "--link", DEFAULT_CACHE / "images", cache / "images"], check=True
            )
            env["DOZEN_LAB_CACHE"] = str(cache)
        runs = {name: tmp / name for name in ("deploy", "verify", "again")}
        subprocess.run([dozen, "lab", "down", "--purge"], env=env, capture_output=True)
        steps = {}
        try:
            steps["lab up"] = run([dozen, "lab", "up"], env, "lab-up", tmp)
            steps["passwords"] = run([dozen, "passwords", "-i", INVENTORY], env, "passwords", tmp)
            for name, command in (("deploy", "deploy"), ("verify", "verify")):
                steps[name] = run(
                    [dozen, command, "-i", INVENTORY, "--run-dir", runs[name]], env, name, tmp
                )
            to_marker = sum(steps.values())
            again = run(
                [dozen, "deploy", "-i", INVENTORY, "--run-dir", runs["again"]], env, "again", tmp
            )
        finally:
            if not args.keep:
                subprocess.run([dozen, "lab", "down", "--purge"], env=env, capture_output=True)

        summary = json.loads((runs["again"] / "summary.json").read_text())
        changed = {h: c["changed"] for h, c in summary["recap"].items() if c["changed"]}
        if changed:
            sys.exit(f"the re-run changed something: {changed}")
        report = json.loads((runs["verify"] / "summary.json").read_text()).get("report", {})

        for name, seconds in steps.items():
            lines.append(f"{name:<28} {seconds:8.1f} s")
        lines.append(f"{'bare hosts to marker':<28} {to_marker:8.1f} s  (target <= 1500 s)")
        lines.append(f"{'no-change re-run':<28} {again:8.1f} s  (target <= 120 s)")
        per_host: dict[str, list[float]] = {}
        for host, _task, start, end, _cat in host_results(runs["again"]):
            per_host.setdefault(host, []).append(end - start)
        for host, costs in sorted(per_host.items()):
            lines.append(
                f"  re-run on {host:<16} {len(costs):4d} tasks, {sum(costs):7.1f} s in all, "
                f"{sum(costs) / len(costs):5.2f} s per task"
            )
        lines.append(
            f"{'guest boot to marker':<28} {report.get('verify_boot_to_marker_seconds')} s"
        )
        lines.append(f"marker: {report.get('verify_marker')}")

        results = host_results(runs["deploy"]) + host_results(runs["verify"])
        floor_total = 0.0
        for name in ("package installs", "database migrations", "guest boot"):
            seconds = union_seconds((s, e) for _h, _t, s, e, c in results if c == name)
            floor_total += seconds
            lines.append(f"floor: {name:<21} {seconds:8.1f} s")
        deploy_verify = steps["deploy"] + steps["verify"]
        lines.append(
            f"floor in all {floor_total:8.1f} s of deploy + verify {deploy_verify:.1f} s: "
            f"DozenCloud's own overhead {deploy_verify - floor_total:.1f} s "
            f"({100 * (deploy_verify - floor_total) / deploy_verify:.0f} %)"
        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
