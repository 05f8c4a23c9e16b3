"""host_capabilities on recorded hosts: what a deployment may change there."""

from pathlib import Path

import pytest
from ansible_collections.dozencloud.cloud.plugins.modules import host_capabilities

HOSTS = Path(__file__).resolve().parents[2] / "fixtures" / "hosts"


def fixture_read(name):
    files = HOSTS / name / "files"

    def read(path, default=None):
        candidate = files / path.lstrip("/")
        return candidate.read_text() if candidate.is_file() else default

    return read


@pytest.mark.parametrize(
    ("name", "machine", "expected"),
    [
        ("qemu-user-aarch64-on-x86_64", "aarch64", True),
        ("ampere-altra-debian12", "aarch64", False),
        ("epyc-7351p-x86_64", "x86_64", False),
        ("raspberry-pi2-armv7l", "armv7l", False),
    ],
)
def test_emulated(name, machine, expected):
    facts = host_capabilities.gather(
        [], read=fixture_read(name), exists=lambda _: False, machine=machine
    )
    assert facts["emulated"] is expected


def test_unknown_machine_is_not_called_emulated():
    assert host_capabilities.emulated("riscv128", read=lambda *_: None) is False


def test_container_and_kernel():
    files = {
        "/run/systemd/container": "systemd-nspawn\n",
        "/proc/self/status": "Name:\tpython3\nCapEff:\t0000000002000000\n",
        "/proc/cmdline": "ro quiet\n",
    }
    facts = host_capabilities.gather(
        ["vm.swappiness"],
        read=lambda path, default=None: files.get(path, default),
        exists=lambda _: True,
        access=lambda *_: False,
        machine="x86_64",
    )
    assert facts["container"] == "systemd-nspawn"
    assert facts["own_kernel"] is False
    assert facts["bootloader"] is None
    assert facts["can_set_time"] is True
    assert facts["sysctl_writable"] == {"vm.swappiness": False}
    assert facts["kernel_cmdline"] == "ro quiet"
