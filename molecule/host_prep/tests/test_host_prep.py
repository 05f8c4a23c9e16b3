"""What host_prep leaves on an amd64 and an arm64 lab host.

The host_prep scenario runs these on its own two hosts; the aio scenario runs
them too, on the hosts site.yml prepared. In both, computes are the arm64
(qemu-user) lab hosts and every other host (controllers, aio's spare) an
amd64 one.
"""

import pytest

testinfra_hosts = ["ansible://all"]


def _expected_arch(host):
    groups = host.ansible.get_variables()["group_names"]
    return "aarch64" if "computes" in groups else "x86_64"


def test_architecture_is_real(host):
    """The arm64 host really runs aarch64 code (qemu-user), not x86."""
    expected = _expected_arch(host)
    assert host.system_info.arch == expected
    assert host.check_output("dpkg --print-architecture") == (
        "arm64" if expected == "aarch64" else "amd64"
    )
    # The host's own Python is a binary of its architecture and runs.
    machine = host.check_output("python3 -c 'import platform; print(platform.machine())'")
    assert machine == expected
    elf_machine = host.check_output("od -An -tx2 -j18 -N2 /usr/bin/python3.11").strip()
    assert elf_machine == {"x86_64": "003e", "aarch64": "00b7"}[machine]


def test_apt_sources_and_proxy(host):
    sources = host.file("/etc/apt/sources.list.d/debian.sources")
    assert sources.exists and sources.mode == 0o644
    assert "Suites: bookworm bookworm-updates" in sources.content_string
    assert "bookworm-security" in sources.content_string
    assert host.file("/etc/apt/sources.list").content_string.startswith("# Managed by DozenCloud")
    proxy = host.file("/etc/apt/apt.conf.d/01proxy").content_string
    assert 'Acquire::http::Proxy "http://198.18.0.1:3142";' in proxy


@pytest.mark.parametrize("pkg", ["chrony", "locales", "openssh-server"])
def test_base_packages(host, pkg):
    assert host.package(pkg).is_installed


def test_chrony_follows_the_lab_machine(host):
    conf = host.file("/etc/chrony/chrony.conf").content_string
    assert "server 198.18.0.1 iburst" in conf
    assert "pool " not in conf
    assert host.service("chrony").is_enabled
    # No CAP_SYS_TIME in a lab host: Debian's unit skips itself, and the role
    # must not pretend otherwise.
    cond = host.check_output("systemctl show chrony -p ConditionResult --value")
    assert cond == "no"


def test_sysctls(host):
    conf = host.file("/etc/sysctl.d/60-dozencloud.conf").content_string
    assert "net.ipv4.ip_forward=1" in conf
    # Refused here (read-only /proc/sys/vm) but recorded for a real kernel.
    assert "vm.swappiness=10" in conf
    assert "net.ipv4.neigh.default.gc_thresh3=16384" in conf
    # Applied where the host's network namespace allows it.
    assert host.sysctl("net.ipv4.ip_forward") == 1
    assert host.sysctl("net.ipv4.conf.all.rp_filter") == 0
    # The neighbour table limits exist only in the lab machine's own namespace:
    # recorded, not applied, and not pretended.
    assert not host.file("/proc/sys/net/ipv4/neigh/default/gc_thresh3").exists


def test_locale(host):
    assert "LANG=en_US.UTF-8" in host.file("/etc/default/locale").content_string
    assert "en_US.utf8" in host.check_output("locale -a")


def test_etc_hosts_lists_inventory(host):
    hosts = host.file("/etc/hosts").content_string
    assert "# BEGIN DozenCloud inventory hosts (host_prep)" in hosts
    names = host.backend.ansible_runner.get_hosts("all")
    # An amd64 and an arm64 host at least (aio has a spare amd64 one too).
    assert len(names) >= 2
    for name in names:
        assert f"\t{name}" in hosts
        assert host.addr(name).is_resolvable


def test_sshd_hardened(host):
    effective = host.check_output("sshd -T").lower()
    assert "passwordauthentication no" in effective
    assert "permitrootlogin without-password" in effective
    assert "x11forwarding no" in effective
    assert "maxauthtries 3" in effective
    assert host.service("ssh").is_running


def test_kernel_cmdline_reported_not_faked(host):
    # Lab hosts share the lab machine's kernel: no GRUB drop-in appears.
    assert not host.file("/etc/default/grub.d/60-dozencloud.cfg").exists


def test_python_bytecode_deferred_only_where_emulated(host):
    """On the qemu-user host, py3compile queues and apt's hook compiles once dpkg is done."""
    emulated = _expected_arch(host) == "aarch64"
    diversions = host.check_output("dpkg-divert --list /usr/bin/py3compile")
    hook = host.file("/etc/apt/apt.conf.d/80dozencloud-py3compile")
    if emulated:
        assert "/usr/bin/py3compile.real" in diversions
        assert host.file("/usr/bin/py3compile").content_string.startswith("#!/bin/sh")
        assert "dozen-py3compile-flush" in hook.content_string
    else:
        assert diversions == ""
        assert not hook.exists
    # Either way a package's modules end up compiled, with nothing left queued.
    pyc = "/usr/lib/python3/dist-packages/__pycache__/six.cpython-311.pyc"
    host.run_expect([0], f"rm -f {pyc}")
    host.run_expect([0], "apt-get install --reinstall -y -q python3-six")
    assert host.file(pyc).exists
    assert not host.file("/var/lib/dozencloud/py3compile.queue").exists
    # Called by hand, outside a maintainer script, py3compile compiles at once.
    host.run_expect([0], f"rm -f {pyc} && py3compile -p python3-six")
    assert host.file(pyc).exists
