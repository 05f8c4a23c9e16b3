"""apt_packages run for real by ansible-playbook on this Debian machine, in check mode."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
BIN = Path(sys.executable).parent


def play(tmp_path, strategy, args):
    book = tmp_path / "play.yml"
    book.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        f"    - dozencloud.cloud.apt_packages: {json.dumps(args)}\n      register: out\n"
        "      ignore_errors: true\n"
        "    - ansible.builtin.debug: {var: out}\n"
    )
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_STRATEGY=strategy,
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        # The json callback writes one document; profile_tasks (ansible.cfg) prints around it.
        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
    )
    # Debian's python3, which has python3-apt, as on the lab hosts.
    inventory = "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n"
    (tmp_path / "hosts").write_text(inventory)
    proc = subprocess.run(
        [BIN / "ansible-playbook", "-i", tmp_path / "hosts", "--check", book],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    tasks = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("{") :])[0]["plays"][0][
        "tasks"
    ]
    return tasks[0]["hosts"]["localhost"]


@pytest.mark.parametrize("strategy", ["mitogen_linear", "linear"])
def test_installed_packages_are_answered_by_dpkg(tmp_path, strategy):
    result = play(tmp_path, strategy, {"name": ["bash", "coreutils"], "state": "present"})
    assert result["changed"] is False
    assert result["msg"] == "already installed (dpkg): bash, coreutils"


def test_a_missing_package_goes_to_apt(tmp_path):
    # apt itself answers, here that it knows no such package.
    missing = "dozencloud-no-such-package"
    result = play(tmp_path, "mitogen_linear", {"name": [missing]})
    assert result["failed"] is True
    assert f"No package matching '{missing}'" in result["msg"]
