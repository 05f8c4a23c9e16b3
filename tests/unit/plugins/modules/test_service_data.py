"""service_data as Ansible runs it, on files made in a temporary directory."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dozencloud.cloud.plugins.modules import service_data


def run(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        service_data.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


def test_non_empty_files_and_directories_count(tmp_path, capsys):
    (tmp_path / "mysql" / "nova").mkdir(parents=True)
    (tmp_path / "mysql" / "nova" / "db.opt").write_text("default-character-set=utf8mb4\n")
    (tmp_path / "ovnnb_db.db").write_text("OVSDB JSON 1 x\n")
    data = {
        "databases": [str(tmp_path / "mysql" / "keystone"), str(tmp_path / "mysql" / "nova")],
        "ovn databases": [str(tmp_path / "ovnnb_db.db")],
    }
    code, result = run(capsys, data=data)
    assert code == 0 and result["changed"] is False
    assert result["held"] == {
        "databases": [str(tmp_path / "mysql" / "nova")],
        "ovn databases": [str(tmp_path / "ovnnb_db.db")],
    }


def test_empty_files_empty_directories_and_missing_paths_hold_nothing(tmp_path, capsys):
    (tmp_path / "fernet-keys").mkdir()
    (tmp_path / "ovnsb_db.db").write_text("")
    data = {
        "keystone keys": [str(tmp_path / "fernet-keys")],
        "ovn databases": [str(tmp_path / "ovnsb_db.db"), str(tmp_path / "nowhere")],
    }
    code, result = run(capsys, data=data)
    assert code == 0 and result["held"] == {}


def test_a_kind_without_a_list_of_paths_is_refused(tmp_path, capsys):
    code, result = run(capsys, data={"rabbitmq": "/var/lib/rabbitmq/mnesia"})
    assert code == 1
    assert result["msg"] == (
        "data['rabbitmq'] must be a list of paths, not '/var/lib/rabbitmq/mnesia'"
    )
