"""One lab host: a systemd-nspawn container booted from a cached image.

The root filesystem is an overlay: the shared, read-only base image below and
the host's own writable layer above, so a clone costs nothing and the host's
data survives `lab down` / `lab up` until the host is purged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from dozencloud.lab import system
from dozencloud.lab.system import LabError
from dozencloud.lab.topology import LabHost, Topology

POWEROFF_TIMEOUT = 90.0
# A host with a guest's gigabytes mapped can take seconds to die on a loaded
# machine: this long before its processes count as stuck.
KILL_TIMEOUT = 30.0


@dataclass
class HostPaths:
    base: Path

    @property
    def upper(self) -> Path:
        return self.base / "upper"

    @property
    def work(self) -> Path:
        return self.base / "work"

    @property
    def rootfs(self) -> Path:
        return self.base / "rootfs"

    @property
    def lock(self) -> Path:
        # systemd-nspawn's lock file beside the directory it boots.
        return self.base / ".#rootfs.lck"

    @property
    def console_log(self) -> Path:
        return self.base / "console.log"


def veth_name(host: str) -> str:
    """Host-side veth name: unique, stable and within IFNAMSIZ (15)."""
    return "dz" + hashlib.sha256(host.encode()).hexdigest()[:10]


class Host:
    def __init__(self, spec: LabHost, topo: Topology, state: Path, image: Path, bridge: str):
        self.spec = spec
        self.topo = topo
        self.paths = HostPaths(state / "hosts" / spec.name)
        self.image = image
        self.bridge = bridge
        self.veth = veth_name(spec.name)

    @property
    def name(self) -> str:
        return self.spec.name

    # -- state ---------------------------------------------------------------
    def nspawn_pid(self) -> int | None:
        for pid in system.cgroup_pids(self.name):
            if system.comm(pid) == "systemd-nspawn":
                return pid
        return None

    def leader_pid(self) -> int | None:
        """PID 1 of the container, as seen from the lab machine."""
        pid = self.nspawn_pid()
        if pid is None:
            return None
        kids = system.children(pid)
        return kids[0] if kids else None

    def running(self) -> bool:
        return self.nspawn_pid() is not None

    def link_state(self) -> str | None:
        return system.link_state(self.veth)

    # -- lifecycle ---------------------------------------------------------------
    def prepare(self, ssh_pubkey: str, etc_hosts: str, apt_proxy: str) -> None:
        """Mount the root filesystem and give a new host its own identity."""
        p = self.paths
        for d in (p.upper, p.work, p.rootfs):
            d.mkdir(parents=True, exist_ok=True)
        marker = p.base / "image"
        if marker.exists() and marker.read_text().strip() != str(self.image):
            raise LabError(
                f"{self.name}: its disk was made from {marker.read_text().strip()}, but the "
                f"topology now needs {self.image}; run `dozen lab down --purge` to rebuild it"
            )
        marker.write_text(f"{self.image}\n")
        if not system.is_mounted(p.rootfs):
            system.run(
                [
                    "mount",
                    "-t",
                    "overlay",
                    "overlay",
                    "-o",
                    f"lowerdir={self.image},upperdir={p.upper},workdir={p.work}",
                    str(p.rootfs),
                ]
            )
        root = p.rootfs
        first_boot = not (root / "etc/ssh/ssh_host_ed25519_key").exists()
        (root / "etc/hostname").write_text(f"{self.name}\n")
        if not (root / "etc/machine-id").read_text().strip():
            (root / "etc/machine-id").write_text(uuid.uuid4().hex + "\n")
        if first_boot:
            for kind in ("ed25519", "ecdsa"):
                key = root / f"etc/ssh/ssh_host_{kind}_key"
                system.run(
                    [
                        "ssh-keygen",
                        "-q",
                        "-t",
                        kind,
                        "-N",
                        "",
                        "-C",
                        f"root@{self.name}",
                        "-f",
                        str(key),
                    ]
                )
            (root / "etc/hosts").write_text(etc_hosts)
            (root / "etc/apt/apt.conf.d/01proxy").write_text(
                f'Acquire::http::Proxy "{apt_proxy}";\n'
            )
        auth = root / "root/.ssh/authorized_keys"
        auth.parent.mkdir(mode=0o700, exist_ok=True)
        auth.write_text(ssh_pubkey)
        auth.chmod(0o600)

        # The lab gives the address from outside; networkd would only fight it.
        for unit in ("systemd-networkd.service", "systemd-networkd.socket"):
            mask = root / "etc/systemd/system" / unit
            if not mask.is_symlink():
                mask.unlink(missing_ok=True)
                mask.symlink_to("/dev/null")
        if self.spec.arch != system.host_dpkg_arch():
            self._emulation_dropins(root)
            self._zipimport_cache(root)

    @staticmethod
    def _emulation_dropins(root: Path) -> None:
        """Let units with credentials start under qemu-user.

        systemd mounts a credentials directory before starting such a unit,
        and under qemu-user that mount fails ("Failed to set up credentials:
        Invalid argument"), so systemd-tmpfiles-setup, systemd-sysusers and
        others would fail at boot. Lab hosts pass no credentials, so clearing
        LoadCredential= loses nothing. Re-run at every start, so units that
        packages installed since are covered from their next boot.
        """
        dropin = "[Service]\n# DozenCloud lab: credentials cannot be mounted under qemu-user.\n"
        dropin += "LoadCredential=\n"
        for unitdir in ("lib/systemd/system", "usr/lib/systemd/system"):
            d = root / unitdir
            if not d.is_dir() or d.is_symlink():
                continue
            for unit in d.glob("*.service"):
                try:
                    text = unit.read_text(errors="replace")
                except OSError:
                    continue
                if "\nLoadCredential=" in text:
                    conf = root / "etc/systemd/system" / f"{unit.name}.d" / "50-dozen-lab.conf"
                    conf.parent.mkdir(parents=True, exist_ok=True)
                    if not conf.exists() or conf.read_text() != dropin:
                        conf.write_text(dropin)

    @staticmethod
    def _zipimport_cache(root: Path) -> None:
        """Let the host's Python keep the bytecode of modules it imports from zips.

        Ansible runs each task's module from a zip, and zipimport compiles the
        module's Python sources on every run; under qemu-user that is most of a
        task's cost (docs/lab.md). See dozencloud/lab/zipcache.py.
        """
        source = Path(__file__).with_name("zipcache.py").read_text()
        pth = "import dozen_lab_zipcache; dozen_lab_zipcache.install()\n"
        for stdlib in sorted((root / "usr/lib").glob("python3.*")):
            if not (stdlib / "site.py").is_file():
                continue
            target = root / "usr/local/lib" / stdlib.name / "dist-packages"
            target.mkdir(parents=True, exist_ok=True)
            for name, text in (("dozen_lab_zipcache.py", source), ("dozen_lab_zipcache.pth", pth)):
                path = target / name
                if not path.exists() or path.read_text() != text:
                    path.write_text(text)

    def host_public_keys(self) -> list[str]:
        etc = self.paths.rootfs / "etc/ssh"
        keys = []
        for kind in ("ed25519", "ecdsa"):
            pub = etc / f"ssh_host_{kind}_key.pub"
            if pub.exists():
                keys.append(" ".join(pub.read_text().split()[:2]))
        return keys

    def start(self) -> None:
        if self.running():
            return
        cgroups = system.cgroup_create(self.name, self.spec.memory_bytes)
        cmd = [
            "systemd-nspawn",
            "--quiet",
            "--boot",
            "--register=no",
            "--keep-unit",
            f"--machine={self.name}",
            f"--hostname={self.name}",
            f"--directory={self.paths.rootfs}",
            f"--network-veth-extra={self.veth}:eth0",
            "--resolv-conf=off",
            "--timezone=off",
            "--link-journal=no",
            "--console=read-only",
        ]
        with open(self.paths.console_log, "ab") as log:
            subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=lambda: system.cgroup_join(cgroups),
            )
        deadline = time.monotonic() + 20
        while not system.link_exists(self.veth):
            if time.monotonic() > deadline or (
                time.monotonic() > deadline - 15 and not self.running()
            ):
                self.cleanup()
                raise LabError(
                    f"{self.name}: systemd-nspawn did not start; see {self.paths.console_log}"
                )
            time.sleep(0.05)
        system.run(["ip", "link", "set", self.veth, "master", self.bridge])
        system.run(["ip", "link", "set", self.veth, "up"])
        self._configure_network()

    def _configure_network(self) -> None:
        """Give the host its address from outside, as a provider's network would.

        The lab machine's own `ip` configures the container's namespace, so
        this works the same for every architecture: under qemu-user,
        systemd-networkd fails ("Protocol not supported": netlink families
        beyond rtnetlink are not emulated).
        """
        deadline = time.monotonic() + 20
        leader = self.leader_pid()
        while leader is None:
            if time.monotonic() > deadline:
                raise LabError(f"{self.name}: the container has no init process")
            time.sleep(0.05)
            leader = self.leader_pid()
        netns = ["nsenter", f"--target={leader}", "--net", "--", "ip"]
        system.run([*netns, "link", "set", "lo", "up"])
        system.run(
            [*netns, "addr", "replace", f"{self.spec.address}/{self.topo.prefixlen}", "dev", "eth0"]
        )
        system.run([*netns, "link", "set", "eth0", "up"])

    def poweroff(self, timeout: float = POWEROFF_TIMEOUT) -> str:
        """Power off from inside; kill only when that fails. Returns how it stopped."""
        how = "not running"
        leader = self.leader_pid()
        if leader is not None:
            # From inside, because qemu-user remaps real-time signals: SIGRTMIN+3
            # from outside lands an emulated systemd in rescue mode.
            subprocess.run(
                [
                    "nsenter",
                    f"--target={leader}",
                    "--mount",
                    "--uts",
                    "--ipc",
                    "--net",
                    "--pid",
                    "--",
                    "/bin/systemctl",
                    "--no-block",
                    "poweroff",
                ],
                capture_output=True,
                timeout=60,
            )
            how = "powered off"
            deadline = time.monotonic() + timeout
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.2)
        if system.cgroup_pids(self.name):
            how = "killed after poweroff timed out" if leader is not None else "killed"
            self.kill()
        self.cleanup()
        return how

    def kill(self) -> None:
        """Hard stop: every process of the host, at once (a fault, or the fallback)."""
        for _ in range(int(KILL_TIMEOUT / 0.1)):
            pids = system.cgroup_pids(self.name)
            if not pids:
                break
            system.kill_pids(pids)
            time.sleep(0.1)
        else:
            raise LabError(f"{self.name}: processes survive SIGKILL: {sorted(pids)}")

    def cleanup(self) -> None:
        """Release everything a stopped host held: link, cgroups, mount, lock."""
        if system.cgroup_pids(self.name):
            raise LabError(f"{self.name}: still running; power it off first")
        system.delete_link(self.veth)
        system.cgroup_remove(self.name)
        for mnt in reversed(system.mounts_under(self.paths.rootfs)):
            system.run(["umount", mnt])
        self.paths.lock.unlink(missing_ok=True)

    def purge(self) -> None:
        self.cleanup()
        if self.paths.base.exists():
            shutil.rmtree(self.paths.base)

    def set_link(self, up: bool) -> None:
        if not system.link_exists(self.veth):
            raise LabError(f"{self.name}: not running, it has no link to cut or restore")
        system.run(["ip", "link", "set", self.veth, "up" if up else "down"])

    def exec(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        leader = self.leader_pid()
        if leader is None:
            raise LabError(f"{self.name}: not running")
        return subprocess.run(
            [
                "nsenter",
                f"--target={leader}",
                "--mount",
                "--uts",
                "--ipc",
                "--net",
                "--pid",
                "--",
                *argv,
            ],
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TERM": os.environ.get("TERM", "dumb")},
            **kw,
        )
