"""rabbitmq_account as Ansible runs it, with rabbitmqctl answering from recorded output."""

import json
from pathlib import Path

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dozencloud.cloud.plugins.modules import rabbitmq_account

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rabbitmq"


@pytest.fixture
def rabbitmqctl(monkeypatch):
    """Answers eval with the recorded state, other commands with rc 0; keeps the argvs."""
    calls = []
    state = {"eval": (FIXTURES / "eval-fixture-user.txt").read_text()}

    def run_command(self, argv, **kwargs):
        calls.append(argv)
        if argv[2] == "eval":
            return 0, state["eval"], ""
        return 0, "", ""

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    return calls, state


def run(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        rabbitmq_account.main()
    out = capsys.readouterr().out
    return exited.value.code, json.loads(out), out


def test_an_account_as_held_takes_one_rabbitmqctl_call(rabbitmqctl, capsys):
    calls, _ = rabbitmqctl
    code, result, _ = run(
        capsys,
        user="fixture",
        password="fixture-password",
        vhost="fixture",
        permissions=["^fixture.*", ".*", ".*"],
        tags=["monitoring"],
    )
    assert code == 0 and result["changed"] is False and result["changes"] == []
    assert len(calls) == 1 and calls[0][:3] == ["rabbitmqctl", "--quiet", "eval"]


def test_a_new_password_is_set_and_never_returned(rabbitmqctl, capsys):
    calls, _ = rabbitmqctl
    code, result, out = run(capsys, user="fixture", password="rotated-secret", vhost="fixture")
    assert code == 0 and result["changed"] is True
    assert "change_password fixture" in result["changes"]
    assert ["rabbitmqctl", "--quiet", "change_password", "fixture", "rotated-secret"] in calls
    assert "rotated-secret" not in out


def test_check_mode_runs_only_the_read(rabbitmqctl, capsys):
    calls, state = rabbitmqctl
    state["eval"] = (FIXTURES / "eval-no-user.txt").read_text()
    code, result, _ = run(
        capsys, user="nova", password="pw", vhost="nova", _ansible_check_mode=True
    )
    assert code == 0 and result["changed"] is True
    assert result["changes"] == [
        "add_vhost nova",
        "add_user nova",
        "set_permissions -p nova nova .* .* .*",
    ]
    assert len(calls) == 1


def test_a_failed_command_fails_the_task_without_the_password(rabbitmqctl, capsys, monkeypatch):
    def run_command(self, argv, **kwargs):
        if argv[2] == "eval":
            return 0, (FIXTURES / "eval-no-user.txt").read_text(), ""
        return 70, "", "Error: node down\n"

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    code, result, out = run(capsys, user="nova", password="pw-secret", vhost="nova")
    assert code == 1
    assert result["msg"] == "rabbitmqctl add_vhost nova failed (rc 70): Error: node down"
    assert "pw-secret" not in out
