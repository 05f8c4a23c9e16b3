#!/usr/bin/env python3
"""Benchmark the test command: ./scripts/test under each execution strategy, stage by stage.

Runs the README's test command once per strategy (Mitogen's mitogen_linear,
then Ansible's linear, through ANSIBLE_STRATEGY) and prints each stage's
time and result side by side, from the "::: STAGE passed in N s" lines the
command prints. Each run's whole output is kept in runs/test-command-STRATEGY.log.

The stages that run no playbook (lint, unit tests) do not depend on the
strategy; they are run each time so that the totals are the command's own.

Run as root from the project venv:  python benchmarks/test_command.py [--strategies ...]
Target (issue 11): the whole test command in 30 minutes or less.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = re.compile(r"^::: (\S+) (passed|FAILED) in (\d+) s$", re.M)


def run(strategy: str, log: Path) -> tuple[float, dict[str, tuple[str, int]], int]:
    env = dict(os.environ, ANSIBLE_STRATEGY=strategy)
    started = time.monotonic()
    with log.open("w") as out:
        rc = subprocess.run(
            [ROOT / "scripts" / "test"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        ).returncode
    seconds = time.monotonic() - started
    stages = {m[0]: (m[1], int(m[2])) for m in STAGE.findall(log.read_text())}
    return seconds, stages, rc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--strategies", default="mitogen_linear,linear")
    args = ap.parse_args()
    strategies = args.strategies.split(",")
    (ROOT / "runs").mkdir(exist_ok=True)
    results = {}
    for strategy in strategies:
        log = ROOT / "runs" / f"test-command-{strategy}.log"
        results[strategy] = run(strategy, log)
        print(f"{strategy}: rc {results[strategy][2]} in {results[strategy][0]:.0f} s", flush=True)
    names = list(dict.fromkeys(n for _s, stages, _rc in results.values() for n in stages))
    print(f"{'stage':<24}" + "".join(f"{s:>18}" for s in strategies))
    for name in names:
        cells = ""
        for strategy in strategies:
            state, seconds = results[strategy][1].get(name, ("-", 0))
            cells += f"{seconds:>10} s {state:>6}"
        print(f"{name:<24}{cells}")
    totals = "".join(
        f"{results[s][0]:>10.0f} s {'rc ' + str(results[s][2]):>6}" for s in strategies
    )
    print(f"{'whole command':<24}{totals}  (target <= 1800 s)")
    return max(r[2] for r in results.values())


if __name__ == "__main__":
    sys.exit(main())
