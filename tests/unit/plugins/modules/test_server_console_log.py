"""server_console_log as Ansible runs it, with openstacksdk's connection replaced."""

import json
from pathlib import Path

import openstack
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dozencloud.cloud.plugins.modules import server_console_log

CONSOLE = Path(__file__).resolve().parents[2] / "fixtures" / "guest_image"


class FakeCompute:
    def __init__(self, servers, output):
        self.servers = servers
        self.output = output
        self.asked = []

    def find_server(self, name_or_id, ignore_missing=True):
        return self.servers.get(name_or_id)

    def get_server_console_output(self, server, length=None):
        self.asked.append((server, length))
        return {"output": self.output}


class FakeConnection:
    def __init__(self, compute):
        self.compute = compute


@pytest.fixture
def compute(monkeypatch):
    text = (CONSOLE / "console-aarch64-boot2.log").read_text(errors="replace")
    fake = FakeCompute({"dozen-verify-aarch64": "server-1"}, text)
    monkeypatch.setattr(
        server_console_log.ServerConsoleLogModule,
        "openstack_cloud_from_module",
        lambda self: (openstack, FakeConnection(fake)),
    )
    return fake


def run(args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        server_console_log.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


def test_marker_found(compute, capsys):
    code, result = run({"server": "dozen-verify-aarch64", "length": 200}, capsys)
    assert code == 0
    assert result["changed"] is False
    assert result["marker"]["arch"] == "aarch64"
    assert result["marker"]["uefi_var"] == "present"
    assert result["lines"] > 100
    assert compute.asked == [("server-1", 200)]


def test_no_marker_yet(compute, capsys):
    compute.output = "EFI stub: Booting Linux Kernel...\n"
    code, result = run({"server": "dozen-verify-aarch64", "_ansible_check_mode": True}, capsys)
    assert code == 0
    assert result["marker"] is None


def test_unknown_server(compute, capsys):
    code, result = run({"server": "nope"}, capsys)
    assert code == 1
    assert result["msg"] == "server 'nope' not found"
