"""A real lab of one amd64 and one arm64 host: up, faults, down.

These tests boot real systemd-nspawn containers (the arm64 one under
qemu-user) and reach them over SSH. They share one lab, in order.
"""

from pathlib import Path

import pytest
from labutil import lab_leftovers

TOPOLOGY = """\
lab: {name: lifecycle, network: 198.18.7.0/24}
hosts:
  - {name: lc-amd64, arch: amd64, address: 198.18.7.11, memory: 768M, groups: [controllers]}
  - {name: lc-arm64, arch: arm64, address: 198.18.7.12, memory: 640M, groups: [computes]}
"""
HOSTS = {"lc-amd64": "x86_64", "lc-arm64": "aarch64"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory, dozen, dozen_json):
    if dozen_json("lab", "status", "--json")["lab"] not in (None, "lifecycle"):
        pytest.fail("another lab is up; run `dozen lab down` first")
    topo = tmp_path_factory.mktemp("lab") / "lab.yml"
    topo.write_text(TOPOLOGY)
    before = lab_leftovers()
    first = dozen_json("lab", "up", "--topology", str(topo))
    yield {"topology": topo, "first_up": first, "before": before}
    dozen("lab", "down", "--purge", check=False)


def ssh(dozen, host, command, check=True):
    return dozen("lab", "ssh", host, command, check=check)


def test_hosts_boot_with_their_own_architecture(lab, dozen):
    assert sorted(lab["first_up"]["booted"]) == sorted(HOSTS)
    for name, arch in HOSTS.items():
        out = ssh(dozen, name, "uname -m; hostname; systemctl is-system-running --wait").stdout
        assert out.split() == [arch, name, "running"], out


def test_each_host_has_its_own_identity(lab, dozen):
    ids = {n: ssh(dozen, n, "cat /etc/machine-id").stdout.strip() for n in HOSTS}
    keys = {
        n: ssh(dozen, n, "cat /etc/ssh/ssh_host_ed25519_key.pub").stdout.split()[1] for n in HOSTS
    }
    assert len(set(ids.values())) == len(HOSTS) and all(len(i) == 32 for i in ids.values())
    assert len(set(keys.values())) == len(HOSTS)


def test_each_host_has_its_own_cgroup_and_memory_limit(lab, dozen_json):
    status = {h["name"]: h for h in dozen_json("lab", "status", "--json")["hosts"]}
    assert status["lc-amd64"]["memory_limit"] == 768 * 2**20
    assert status["lc-arm64"]["memory_limit"] == 640 * 2**20
    cgroups = {}
    for name, row in status.items():
        pid = row["leader_pid"]
        line = next(
            ln for ln in Path(f"/proc/{pid}/cgroup").read_text().splitlines() if ":memory:" in ln
        )
        cgroups[name] = line.split(":", 2)[2]
        assert cgroups[name].startswith(f"/dozenlab/{name}"), cgroups[name]
    assert len(set(cgroups.values())) == len(HOSTS)


def test_hosts_install_packages_through_the_lab_apt_cache(lab, dozen):
    out = ssh(dozen, "lc-arm64", "apt-get -q update && apt-get -y -q install hello && hello").stdout
    assert "Hello, world!" in out
    proxy = ssh(dozen, "lc-arm64", "apt-config dump Acquire::http::Proxy").stdout
    assert "198.18.7.1:3142" in proxy


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_setuid_binaries_run_with_their_owner_s_uid(lab, dozen, host):
    # sudo, and with it nova's and neutron's rootwrap and privsep, need this;
    # under qemu-user only a binfmt_misc entry with the C flag gives it.
    script = (
        "install -m 4755 -o root /usr/bin/id /usr/local/bin/dozen-suid-id"
        " && runuser -u nobody -- /usr/local/bin/dozen-suid-id -u"
        " && rm /usr/local/bin/dozen-suid-id"
    )
    assert ssh(dozen, host, script).stdout.strip() == "0"


def test_emulated_hosts_cache_zipimport_bytecode(lab, dozen):
    # Ansible's modules run from zips; under qemu-user the lab keeps their
    # compiled code (dozencloud/lab/zipcache.py). Native hosts are untouched.
    script = (
        "python3 -c 'import sys, zipimport; print(zipimport.zipimporter not in sys.path_hooks)'"
    )
    assert ssh(dozen, "lc-arm64", script).stdout.strip() == "True"
    assert ssh(dozen, "lc-amd64", script).stdout.strip() == "False"


def test_hosts_reach_each_other_by_name(lab, dozen):
    assert ssh(dozen, "lc-amd64", "ping -c1 -W2 lc-arm64", check=False).returncode == 0


def test_up_is_idempotent(lab, dozen_json):
    again = dozen_json("lab", "up", "--topology", str(lab["topology"]))
    assert again["booted"] == []


def test_link_cut_and_restore(lab, dozen):
    dozen("lab", "link", "lc-arm64", "down")
    assert ssh(dozen, "lc-arm64", "true", check=False).returncode != 0
    assert ssh(dozen, "lc-amd64", "true", check=False).returncode == 0
    dozen("lab", "link", "lc-arm64", "up")
    assert ssh(dozen, "lc-arm64", "true", check=False).returncode == 0


def test_stop_one_host_keeps_its_data(lab, dozen, dozen_json):
    ssh(dozen, "lc-arm64", "echo kept > /var/lib/dozen-marker")
    assert dozen_json("lab", "stop", "lc-arm64") == {"lc-arm64": "powered off"}
    status = {h["name"]: h["running"] for h in dozen_json("lab", "status", "--json")["hosts"]}
    assert status == {"lc-amd64": True, "lc-arm64": False}
    assert dozen_json("lab", "start", "lc-arm64")["booted"] == ["lc-arm64"]
    assert ssh(dozen, "lc-arm64", "cat /var/lib/dozen-marker").stdout.strip() == "kept"


def test_kill_one_host(lab, dozen, dozen_json):
    assert dozen_json("lab", "kill", "lc-amd64") == {"lc-amd64": "killed"}
    status = {h["name"]: h["running"] for h in dozen_json("lab", "status", "--json")["hosts"]}
    assert status == {"lc-amd64": False, "lc-arm64": True}
    assert dozen_json("lab", "up", "--topology", str(lab["topology"]))["booted"] == ["lc-amd64"]


def test_down_leaves_nothing_behind(lab, dozen_json):
    result = dozen_json("lab", "down")
    assert result["stopped"] == {"lc-amd64": "powered off", "lc-arm64": "powered off"}
    assert (
        lab_leftovers()
        == lab["before"]
        == {
            "processes": [],
            "mounts": [],
            "links": [],
            "locks": [],
            "cgroups": [],
            "runtime": False,
        }
    )
