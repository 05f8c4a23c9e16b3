"""Tempest against the aio scenario's cloud, as `dozen tempest` runs it.

The test command's tempest stage runs this after `molecule test -s aio
--destroy never`, with molecule's ephemeral directory and inventory in
MOLECULE_EPHEMERAL_DIRECTORY and MOLECULE_INVENTORY_FILE, and destroys the
lab after it. It runs playbooks/tempest.yml through molecule's ansible.cfg
with the ci profile (DOZEN_TEMPEST_PROFILE to change it), keeps the report in
DOZEN_RUN_DIR (default runs/tempest-aio), and passes when no test failed.
"""

import json
import os
import pathlib
import subprocess
import time

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
EPHEMERAL = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
BIN = pathlib.Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"


@pytest.fixture
def foreign_workspace_registration():
    """Hold the workspace's name in the user's Tempest registry, for its path.

    That is what an earlier clone at the same path leaves behind, and what
    made `tempest init` refuse the workspace in CI. The role keeps its own
    registry, so the run must pass regardless and leave the user's as it was.
    """
    registry = pathlib.Path.home() / ".tempest" / "workspace.yaml"
    original = registry.read_text() if registry.exists() else None
    workspaces = (yaml.safe_load(original) if original else None) or {}
    workspace = ROOT / "tempest" / "site"
    workspaces["site"] = str(workspace)
    registry.parent.mkdir(parents=True, exist_ok=True)
    seeded = yaml.safe_dump(workspaces)
    registry.write_text(seeded)
    yield registry, seeded
    if original is None:
        registry.unlink()
    else:
        registry.write_text(original)


def test_tempest_passes_on_the_aio_cloud(foreign_workspace_registration):
    registry, seeded = foreign_workspace_registration
    run_dir = pathlib.Path(os.environ.get("DOZEN_RUN_DIR", ROOT / "runs" / "tempest-aio"))
    run_dir.mkdir(parents=True, exist_ok=True)
    log = run_dir / "ansible.log"
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(EPHEMERAL / "ansible.cfg"),
        ANSIBLE_LOG_PATH=str(log),
        DOZEN_RUN_DIR=str(run_dir),
    )
    argv = [BIN / "ansible-playbook", "-i", INVENTORY, ROOT / "playbooks" / "tempest.yml"]
    profile = os.environ.get("DOZEN_TEMPEST_PROFILE", "ci")
    argv += ["-e", f"@{EPHEMERAL / 'passwords.yml'}", "-e", f"tempest_profile={profile}"]
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    out = proc.stdout + proc.stderr
    summary_file = run_dir / "tempest" / "summary.json"
    assert summary_file.is_file(), f"no Tempest summary (rc {proc.returncode}):\n{out[-6000:]}"
    summary = json.loads(summary_file.read_text())
    print(
        f"\ntempest ({profile}): {summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['skipped']} skipped; tests {summary['seconds']} s, "
        f"playbook {seconds:.0f} s; report {run_dir / 'tempest'}"
    )
    reasons = {}
    for skip in summary["skips"]:
        reasons[skip["reason"]] = reasons.get(skip["reason"], 0) + 1
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        print(f"  skipped {count:4d}: {reason[:150]}")
    failures = [f"{f['id']}\n{f['traceback'][-1500:]}" for f in summary["failures"]]
    assert summary["failed"] == 0, "\n\n".join(failures)
    assert summary["passed"] > 0
    assert proc.returncode == 0, out[-6000:]
    assert (ROOT / "tempest" / "site" / "workspace.yaml").is_file()
    assert registry.read_text() == seeded, "the run changed the user's Tempest registry"
