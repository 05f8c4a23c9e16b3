"""stale_services as Ansible runs it, with systemctl replaced by recorded output."""

import json
import os
from pathlib import Path

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dozencloud.cloud.plugins.modules import stale_services

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "systemd" / "show-ctl01.txt"
UNITS = ["ssh", "mariadb", "epmd.socket", "no-such-unit.service"]
# The recorded start times, in epoch seconds.
SSH_START = 1796423466.351729
MARIADB_START = 1796423833.227753


@pytest.fixture
def systemctl(monkeypatch):
    """Every systemctl call; `show` answers with the recording (or state['show'])."""
    state = {"calls": [], "show": FIXTURE.read_text()}

    def run_command(self, argv, check_rc=False, **kwargs):
        argv = [str(a) for a in argv]
        state["calls"].append(argv[1:])
        if argv[1] == "show":
            return 0, state["show"], ""
        return 0, "", ""

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, **kw: f"/usr/bin/{name}")
    return state


def config(tmp_path, name, mtime):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x\n")
    os.utime(path, (mtime, mtime))
    return str(path)


def run(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        stale_services.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


def test_nothing_newer_than_the_processes_changes_nothing(tmp_path, systemctl, capsys):
    services = [
        {"unit": "ssh", "paths": [config(tmp_path, "sshd.conf", SSH_START - 10)]},
        {"unit": "mariadb", "paths": [config(tmp_path, "my.cnf", MARIADB_START - 10)]},
        {
            "unit": "no-such-unit.service",
            "paths": [config(tmp_path, "new.conf", MARIADB_START + 99)],
        },
    ]
    systemctl["show"] = "\n\n".join(
        b
        for u, b in zip(UNITS, FIXTURE.read_text().strip().split("\n\n"), strict=True)
        if u != "epmd.socket"
    )
    code, result = run(capsys, services=services, stamp_dir=str(tmp_path / "stamps"))
    assert code == 0 and result["changed"] is False and result["stale"] == []
    assert [c[0] for c in systemctl["calls"]] == ["show"]
    assert systemctl["calls"][0][-4:] == ["--", "ssh", "mariadb", "no-such-unit.service"]


def test_a_file_written_after_the_start_restarts_the_unit(tmp_path, systemctl, capsys):
    systemctl["show"] = FIXTURE.read_text().split("\n\n")[1]
    conf = config(tmp_path, "conf.d/99-dozencloud.cnf", MARIADB_START + 30)
    # The directory counts with its files; its own time is older here.
    os.utime(tmp_path / "conf.d", (MARIADB_START - 30, MARIADB_START - 30))
    code, result = run(capsys, services=[{"unit": "mariadb", "paths": [str(tmp_path / "conf.d")]}])
    assert code == 0 and result["changed"] is True
    assert result["stale"][0]["reason"] == f"{conf} changed after it (re)started"
    assert systemctl["calls"][1:] == [["restart", "--", "mariadb"]]


def test_check_mode_reports_without_restarting(tmp_path, systemctl, capsys):
    systemctl["show"] = FIXTURE.read_text().split("\n\n")[1]
    conf = config(tmp_path, "my.cnf", MARIADB_START + 30)
    code, result = run(
        capsys, services=[{"unit": "mariadb", "paths": [conf]}], _ansible_check_mode=True
    )
    assert code == 0 and result["changed"] is True and len(result["stale"]) == 1
    assert [c[0] for c in systemctl["calls"]] == ["show"]


def test_a_reloaded_unit_is_reloaded_and_its_time_recorded(tmp_path, systemctl, capsys):
    systemctl["show"] = FIXTURE.read_text().split("\n\n")[0]
    stamps = tmp_path / "stamps"
    services = [
        {"unit": "ssh", "paths": [config(tmp_path, "d.conf", SSH_START + 5)], "action": "reloaded"}
    ]
    code, result = run(capsys, services=services, stamp_dir=str(stamps))
    assert code == 0 and result["changed"] is True
    assert systemctl["calls"][1:] == [["reload", "--", "ssh"]]
    assert (stamps / "ssh").stat().st_mtime > SSH_START + 5
    # The recorded reload is newer than the file now: the next run does nothing.
    systemctl["calls"].clear()
    code, result = run(capsys, services=services, stamp_dir=str(stamps))
    assert code == 0 and result["changed"] is False
    assert [c[0] for c in systemctl["calls"]] == ["show"]


def test_a_systemd_drop_in_reloads_systemd_before_the_restart(tmp_path, systemctl, capsys):
    systemctl["show"] = FIXTURE.read_text().split("\n\n")[1]
    dropin = config(tmp_path, "x.service.d/dozencloud.conf", MARIADB_START + 30)
    code, result = run(
        capsys, services=[{"unit": "mariadb", "paths": ["/etc/systemd/system/x.service.d", dropin]}]
    )
    assert code == 0 and result["stale"][0]["daemon_reload"] is True
    assert systemctl["calls"][1:] == [["daemon-reload"], ["restart", "--", "mariadb"]]


def test_a_failed_restart_names_the_unit_and_why(tmp_path, systemctl, capsys, monkeypatch):
    systemctl["show"] = FIXTURE.read_text().split("\n\n")[1]
    conf = config(tmp_path, "my.cnf", MARIADB_START + 30)

    def run_command(self, argv, check_rc=False, **kwargs):
        if argv[1] == "show":
            return 0, systemctl["show"], ""
        return 1, "", "Job for mariadb.service failed."

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    code, result = run(capsys, services=[{"unit": "mariadb", "paths": [conf]}])
    assert code == 1
    assert result["msg"] == (
        f"systemctl restart mariadb failed ({conf} changed after it (re)started): "
        "Job for mariadb.service failed."
    )
