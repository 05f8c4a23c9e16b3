"""Lab tests: they build real hosts, so they need root and the lab tools."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOZEN = [sys.executable, "-m", "dozencloud.cli"]


def run_dozen(*args, check=True, env=None, timeout=900):
    proc = subprocess.run(
        [*DOZEN, *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"dozen {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def dozen():
    """Run the `dozen` command; returns the CompletedProcess."""
    return run_dozen


@pytest.fixture(scope="session")
def dozen_json():
    return lambda *args, **kw: json.loads(run_dozen(*args, **kw).stdout)


@pytest.fixture(scope="session", autouse=True)
def _root_only():
    if os.geteuid() != 0:
        pytest.skip("lab tests need root")
