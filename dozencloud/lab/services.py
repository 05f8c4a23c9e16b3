"""Lab-wide services on the lab bridge: the apt cache and the time source.

Both run as plain daemons of the lab machine (it has no systemd), bound to
the lab gateway address only, and stop with `lab down`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from dozencloud.lab.system import LabError, pid_alive

APT_CACHE_PORT = 3142


def _read_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def _port_free(address: str, port: int, kind=socket.SOCK_STREAM) -> bool:
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((address, port))
    except OSError:
        return False
    finally:
        s.close()
    return True


def _wait_port(address: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class Daemon:
    name = "daemon"

    def __init__(
        self,
        runtime: Path,
        state: Path,
        cache: Path,
        gateway: str,
        network: str,
        mirror: str = "http://deb.debian.org/debian",
    ):
        self.mirror = mirror
        self.runtime = runtime
        self.state = state
        self.cache = cache
        self.gateway = gateway
        self.network = network
        self.pidfile = runtime / f"{self.name}.pid"
        self.logfile = state / "logs" / f"{self.name}.log"

    def pid(self) -> int | None:
        return _read_pid(self.pidfile)

    def stop(self, timeout: float = 10) -> None:
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.pidfile.unlink(missing_ok=True)

    def _spawn(self, cmd: list[str]) -> int:
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(self.logfile, "ab") as log:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
        self.pidfile.write_text(f"{proc.pid}\n")
        return proc.pid


class AptCache(Daemon):
    """apt-cacher-ng: lab hosts install packages through it, never directly."""

    name = "apt-cacher-ng"

    @property
    def url(self) -> str:
        return f"http://{self.gateway}:{APT_CACHE_PORT}"

    def start(self) -> None:
        if self.pid() is not None:
            return
        if not _port_free(self.gateway, APT_CACHE_PORT):
            raise LabError(
                f"port {self.gateway}:{APT_CACHE_PORT} is taken; another apt-cacher-ng is "
                "probably running on all addresses (stop it: /etc/init.d/apt-cacher-ng stop)"
            )
        cache = self.cache / "apt-cacher-ng"
        logs = self.state / "logs" / "acng"
        for d in (cache, logs):
            d.mkdir(parents=True, exist_ok=True)
            os.chown(d, *_acng_ids())
        # Our own configuration: Debian's default remaps deb.debian.org to
        # mirrors from a list (ftp.debian.org first), which may not resolve here.
        conf = self.runtime / "acng"
        conf.mkdir(parents=True, exist_ok=True)
        mirror = self.mirror.rstrip("/") + "/"
        security = mirror.rsplit("/debian/", 1)[0] + "/debian-security/"
        (conf / "acng.conf").write_text(
            "# DozenCloud lab apt cache, written by `dozen lab up`.\n"
            f"CacheDir: {cache}\n"
            f"LogDir: {logs}\n"
            "SupportDir: /usr/lib/apt-cacher-ng\n"
            f"Port: {APT_CACHE_PORT}\n"
            f"BindAddress: {self.gateway}\n"
            f"SocketPath: {self.runtime}/acng.socket\n"
            "PidFile: \n"
            "ForeGround: 1\n"
            "ExThreshold: 30\n"
            "ConnectProto: v4\n"
            f"Remap-debrep: file:deb_mirror*.gz /debian ; {mirror}\n"
            "Remap-secdeb: security.debian.org security.debian.org/debian-security "
            f"deb.debian.org/debian-security /debian-security ; {security}\n"
        )
        self._spawn(["/usr/sbin/apt-cacher-ng", "-c", str(conf)])
        if not _wait_port(self.gateway, APT_CACHE_PORT, 15):
            self.stop()
            raise LabError(f"apt-cacher-ng did not start; see {self.logfile}")


def _acng_ids() -> tuple[int, int]:
    import pwd

    try:
        pw = pwd.getpwnam("apt-cacher-ng")
    except KeyError as exc:
        raise LabError("apt-cacher-ng is not installed; run scripts/install-host-deps") from exc
    return pw.pw_uid, pw.pw_gid


class TimeSource(Daemon):
    """chronyd serving the lab machine's clock to lab hosts, never setting it."""

    name = "chronyd"

    def start(self) -> None:
        if self.pid() is not None:
            return
        if not _port_free(self.gateway, 123, socket.SOCK_DGRAM):
            raise LabError(f"UDP port {self.gateway}:123 is taken; stop the other NTP server")
        conf = self.runtime / "chrony.conf"
        conf.write_text(
            "# DozenCloud lab time source: serves this machine's clock on the lab bridge.\n"
            f"bindaddress {self.gateway}\n"
            f"allow {self.network}\n"
            "local stratum 8\n"
            "cmdport 0\n"
            f"pidfile {self.runtime}/chronyd.real.pid\n"
            f"driftfile {self.state}/chrony.drift\n"
        )
        # -x: never touch the lab machine's clock; -d: stay in the foreground.
        self._spawn(["/usr/sbin/chronyd", "-x", "-d", "-u", "root", "-f", str(conf)])
        time.sleep(0.2)
        if self.pid() is None:
            raise LabError(f"chronyd did not start; see {self.logfile}")
