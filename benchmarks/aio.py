#!/usr/bin/env python3
"""Benchmark the main job: the all-in-one lab from bare hosts to the guest's marker.

Runs, on this machine, what ./scripts/aio runs (after its installs), once per
execution strategy (Mitogen's mitogen_linear, then Ansible's linear, side by
side): the aio lab from purged hosts, `dozen passwords`, `dozen deploy`
(site.yml) and `dozen verify` (verify.yml, which boots the aarch64 UEFI test
guest on the arm64 compute), then `dozen deploy` again, which must change
nothing, then `dozen deploy --check`, which must report no change either.

It prints, per strategy:
  - the wall time of each step and in all, from bare hosts to the marker;
  - the no-change re-run and the check-mode run, with their tasks and their
    summed cost per host;
  - the guest's boot-to-marker time, as verify measured it;
  - the floor: the time the run spent in package installs (apt's own
    history on each host, so installs running in the background count),
    database migrations and the guest's boot, as the union of those
    intervals, and what is left: DozenCloud's own overhead;
and, on the first converged lab, the cost of one trivial task on each host
type under each strategy.

--cold starts from an empty apt cache (a temporary lab cache holding only
the cached base images), so every package comes from the Debian archive.

Run as root from the project venv:
  python benchmarks/aio.py [--strategies mitogen_linear,linear] [--cold] [--keep]
Targets (issue 11): bare hosts to marker <= 15 min, no-change re-run and
--check <= 60 s, a trivial task on the emulated arm64 host <= 0.5 s.
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
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
INVENTORY = ROOT / "inventories" / "aio"
DEFAULT_CACHE = Path(os.environ.get("DOZEN_LAB_CACHE", "/var/cache/dozencloud/lab"))
HOSTS = {"amd64": "ctl01", "arm64": "cmp01"}
TRIVIAL_TASKS = 20

# What the floor counts, by task name (package installs come from apt's history).
MIGRATION = re.compile(r"Migrate the .* databases?|Map cell|Create cell")
GUEST_BOOT = re.compile(r"Boot the test guest|Wait for the guest's marker line")
APT_DATE = re.compile(r"^(Start|End)-Date: (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d)$", re.M)


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
    task = data.get("task", "")
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


def apt_intervals(env, since: float) -> list[tuple[float, float]]:
    """Every apt run on the lab hosts since ``since``, from their /var/log/apt/history.log."""
    out = []
    for host in HOSTS.values():
        proc = subprocess.run(
            [BIN / "dozen", "lab", "exec", host, "--", "cat", "/var/log/apt/history.log"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        start = None
        for kind, day, clock in APT_DATE.findall(proc.stdout):
            stamp = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC).timestamp()
            if kind == "Start":
                start = stamp
            elif start is not None and start >= since - 1:
                out.append((start, stamp + 1))  # whole seconds: count the last one
                start = None
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


def trivial_task_cost(env, host: str, strategy: str, tmp: Path) -> float:
    """Seconds per trivial task on ``host``: (N+1 tasks - 1 task) / N, no facts."""

    def play(n: int) -> float:
        book = tmp / f"trivial-{n}.yml"
        book.write_text(
            f"- hosts: {host}\n  gather_facts: false\n  tasks:\n"
            + "    - ansible.builtin.command: 'true'\n      changed_when: false\n" * n
        )
        started = time.monotonic()
        run(
            [BIN / "ansible-playbook", "-i", INVENTORY, book],
            dict(env, ANSIBLE_STRATEGY=strategy),
            f"trivial-{strategy}-{host}-{n}",
            tmp,
        )
        return time.monotonic() - started

    play(1)  # warm the SSH control connection
    return (play(TRIVIAL_TASKS + 1) - play(1)) / TRIVIAL_TASKS


def per_host_lines(run_dir: Path) -> list[str]:
    per_host: dict[str, list[float]] = {}
    for host, _task, start, end, _cat in host_results(run_dir):
        per_host.setdefault(host, []).append(end - start)
    return [
        f"    on {host:<10} {len(costs):4d} tasks, {sum(costs):7.1f} s in all, "
        f"{sum(costs) / len(costs):5.2f} s per task"
        for host, costs in sorted(per_host.items())
    ]


def no_change(summary_path: Path, label: str) -> None:
    summary = json.loads(summary_path.read_text())
    changed = {h: c["changed"] for h, c in summary["recap"].items() if c["changed"]}
    if changed:
        sys.exit(f"{label} changed something: {changed} ({summary_path.parent})")


def one_strategy(strategy: str, env, tmp: Path, keep: bool) -> tuple[dict, list[str]]:
    """Bare hosts to the marker, the no-change re-run and --check, under ``strategy``."""
    dozen = str(BIN / "dozen")
    env = dict(env, ANSIBLE_STRATEGY=strategy)
    work = tmp / strategy
    work.mkdir()
    runs = {name: work / name for name in ("deploy", "verify", "again", "check")}
    subprocess.run([dozen, "lab", "down", "--purge"], env=env, capture_output=True)
    steps: dict[str, float] = {}
    began = time.time()
    try:
        steps["lab up"] = run([dozen, "lab", "up"], env, "lab-up", work)
        steps["passwords"] = run([dozen, "passwords", "-i", INVENTORY], env, "passwords", work)
        for name in ("deploy", "verify"):
            steps[name] = run(
                [dozen, name, "-i", INVENTORY, "--run-dir", runs[name]], env, name, work
            )
        floor_apt = apt_intervals(env, began)
        again = run(
            [dozen, "deploy", "-i", INVENTORY, "--run-dir", runs["again"]], env, "again", work
        )
        check = run(
            [dozen, "deploy", "-i", INVENTORY, "--check", "--run-dir", runs["check"]],
            env,
            "check",
            work,
        )
    finally:
        if not keep:
            subprocess.run([dozen, "lab", "down", "--purge"], env=env, capture_output=True)
    no_change(runs["again"] / "summary.json", "the re-run")
    no_change(runs["check"] / "summary.json", "--check")
    to_marker = sum(steps.values())
    report = json.loads((runs["verify"] / "summary.json").read_text()).get("report", {})

    lines = [f"strategy {strategy}"]
    lines += [f"  {name:<26} {seconds:8.1f} s" for name, seconds in steps.items()]
    lines.append(f"  {'bare hosts to marker':<26} {to_marker:8.1f} s  (target <= 900 s)")
    lines.append(f"  {'no-change re-run':<26} {again:8.1f} s  (target <= 60 s)")
    lines += per_host_lines(runs["again"])
    lines.append(f"  {'--check, converged':<26} {check:8.1f} s  (target <= 60 s)")
    lines += per_host_lines(runs["check"])
    lines.append(f"  {'guest boot to marker':<26} {report.get('verify_boot_to_marker_seconds')} s")
    lines.append(f"  marker: {report.get('verify_marker')}")
    results = host_results(runs["deploy"]) + host_results(runs["verify"])
    floors = {"package installs": union_seconds(floor_apt)}
    for name in ("database migrations", "guest boot"):
        floors[name] = union_seconds((s, e) for _h, _t, s, e, c in results if c == name)
    floors["in all"] = union_seconds(
        floor_apt + [(s, e) for _h, _t, s, e, c in results if c is not None]
    )
    lines += [f"  floor: {name:<19} {seconds:8.1f} s" for name, seconds in floors.items()]
    deploy_verify = steps["deploy"] + steps["verify"]
    overhead = deploy_verify - floors["in all"]
    lines.append(
        f"  deploy + verify {deploy_verify:.1f} s: DozenCloud's own overhead {overhead:.1f} s "
        f"({100 * overhead / deploy_verify:.0f} %)"
    )
    figures = {
        "bare hosts to marker": to_marker,
        "deploy": steps["deploy"],
        "verify": steps["verify"],
        "no-change re-run": again,
        "--check, converged": check,
        "guest boot to marker": report.get("verify_boot_to_marker_seconds"),
        "floor in all": floors["in all"],
    }
    return figures, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="mitogen_linear,linear")
    parser.add_argument("--cold", action="store_true", help="start from an empty apt cache")
    parser.add_argument("--keep", action="store_true", help="leave the last lab up at the end")
    args = parser.parse_args()
    strategies = args.strategies.split(",")
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    env["DOZEN_LAB_TOPOLOGY"] = str(INVENTORY / "lab.yml")
    lines = [
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB"
        f"; apt cache {'empty (cold)' if args.cold else 'warm'}"
    ]
    table: dict[str, dict] = {}
    trivial: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory(prefix="dozen-bench-aio-") as tmp:
        tmp = Path(tmp)
        if args.cold:
            cache = tmp / "cache"
            cache.mkdir()
            subprocess.run(
                ["cp", "-a", "--link", DEFAULT_CACHE / "images", cache / "images"], check=True
            )
            env["DOZEN_LAB_CACHE"] = str(cache)
        for i, strategy in enumerate(strategies):
            last = i == len(strategies) - 1
            table[strategy], strategy_lines = one_strategy(
                strategy, env, tmp, keep=(i == 0 or (last and args.keep))
            )
            lines += strategy_lines
            print("\n".join(strategy_lines), flush=True)
            if i == 0:
                # The first lab stays up for this, then goes for the next strategy's.
                for kind, host in HOSTS.items():
                    for s in strategies:
                        trivial[(kind, s)] = trivial_task_cost(env, host, s, tmp)
                if not (last and args.keep):
                    subprocess.run(
                        [BIN / "dozen", "lab", "down", "--purge"], env=env, capture_output=True
                    )
    side = ["", f"{'':<24}" + "".join(f"{s:>16}" for s in strategies)]
    for figure in table[strategies[0]]:
        cells = "".join(f"{table[s][figure] or 0:>14.1f} s" for s in strategies)
        side.append(f"{figure:<24}{cells}")
    for kind, host in HOSTS.items():
        cells = "".join(f"{trivial[(kind, s)]:>14.3f} s" for s in strategies)
        side.append(f"{'trivial task, ' + kind:<24}{cells}  ({host})")
    print("\n".join(side))
    out = ROOT / "runs"
    out.mkdir(exist_ok=True)
    (out / "benchmark-aio.txt").write_text("\n".join(lines + side) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
