"""Thin helpers over the lab machine: commands, binfmt, cgroups, links."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PARENT = "dozenlab"


class LabError(RuntimeError):
    """A lab operation failed; the message says what to do about it."""


def run(cmd: list[str], check: bool = True, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        raise LabError(
            f"command failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()}"
        )
    return proc


def require_tools() -> None:
    missing = [
        t
        for t in ("systemd-nspawn", "debootstrap", "ip", "nsenter", "ssh", "ssh-keygen")
        if shutil.which(t) is None
    ]
    if missing:
        raise LabError(
            f"missing lab tools: {', '.join(missing)}. Run scripts/install-host-deps first."
        )


def require_binfmt(arch: str) -> None:
    """Foreign architectures need qemu-user registered with the F flag."""
    if arch == host_dpkg_arch():
        return
    qemu = {"arm64": "qemu-aarch64", "armhf": "qemu-arm", "amd64": "qemu-x86_64"}[arch]
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "status").exists():
        run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)])
    entry = binfmt / qemu
    if not entry.exists() or "enabled" not in entry.read_text():
        if shutil.which("update-binfmts") is None:
            raise LabError(f"{arch} hosts need qemu-user-static and binfmt-support installed")
        run(["update-binfmts", "--enable", qemu])
    flags = [ln for ln in entry.read_text().splitlines() if ln.startswith("flags:")]
    if not flags or "F" not in flags[0]:
        raise LabError(
            f"{entry} is registered without the F flag, so the interpreter is not usable "
            "inside containers; reinstall qemu-user-static"
        )
    if "C" not in flags[0]:
        # Without C, a setuid binary run through the interpreter keeps the
        # caller's uid: sudo fails, and with it nova's and neutron's rootwrap
        # and privsep. Register the same entry again with credentials.
        line = binfmt_register_line(qemu, entry.read_text(), "OCPF")
        entry.write_text("-1")
        (binfmt / "register").write_text(line)


def binfmt_register_line(name: str, status: str, flags: str) -> str:
    """The register line that recreates a binfmt_misc entry (its status text) with ``flags``."""
    fields = dict(ln.split(" ", 1) for ln in status.splitlines() if " " in ln)
    if "magic" not in fields or "interpreter" not in fields:
        raise LabError(f"binfmt_misc entry {name} is not a magic entry: {status!r}")

    def escaped(hexstr: str) -> str:
        return "".join(f"\\x{hexstr[i : i + 2]}" for i in range(0, len(hexstr), 2))

    mask = escaped(fields["mask"].strip()) if "mask" in fields else ""
    offset = fields.get("offset", "0").strip()
    magic = escaped(fields["magic"].strip())
    return f":{name}:M:{offset}:{magic}:{mask}:{fields['interpreter'].strip()}:{flags}"


def host_dpkg_arch() -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


def apt_proxy_for_build() -> str | None:
    return os.environ.get("DOZEN_LAB_BUILD_PROXY") or None


# --- cgroups -----------------------------------------------------------------
def cgroup_hierarchies() -> list[Path]:
    """Every mounted cgroup hierarchy (v1 controllers, name=systemd, and cgroup2)."""
    found = []
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            _dev, mnt, fstype, *_ = line.split()
            if fstype in ("cgroup", "cgroup2"):
                found.append(Path(mnt))
    return found


def cgroup_create(host: str, memory_bytes: int) -> list[Path]:
    """Create the host's cgroup in every hierarchy and set its memory limit."""
    made = []
    for hier in cgroup_hierarchies():
        parent = hier / CGROUP_PARENT
        for d in (parent, parent / host):
            if not d.exists():
                d.mkdir()
                # cpuset children start empty and refuse tasks until filled in.
                for knob in ("cpuset.cpus", "cpuset.mems"):
                    if (d / knob).exists() and not (d / knob).read_text().strip():
                        (d / knob).write_text((d.parent / knob).read_text())
        cg = parent / host
        limit = cg / "memory.limit_in_bytes"
        if limit.exists():
            limit.write_text(str(memory_bytes))
        elif (cg / "memory.max").exists():
            (cg / "memory.max").write_text(str(memory_bytes))
        made.append(cg)
    return made


def cgroup_join(cgroups: list[Path]) -> None:
    """Move the calling process into the given cgroups (used before exec of nspawn)."""
    pid = str(os.getpid())
    for cg in cgroups:
        (cg / "cgroup.procs").write_text(pid)


def cgroup_pids(host: str) -> set[int]:
    pids: set[int] = set()
    for hier in cgroup_hierarchies():
        cg = hier / CGROUP_PARENT / host
        if not cg.is_dir():
            continue
        # The container's systemd adds and removes cgroups while we walk.
        for dirpath, _dirs, _files in os.walk(cg):
            try:
                pids.update(int(p) for p in Path(dirpath, "cgroup.procs").read_text().split())
            except OSError:
                continue
    return pids


def cgroup_memory_limit(host: str) -> int | None:
    for hier in cgroup_hierarchies():
        f = hier / CGROUP_PARENT / host / "memory.limit_in_bytes"
        if f.exists():
            return int(f.read_text())
    return None


def cgroup_remove(host: str) -> None:
    for hier in cgroup_hierarchies():
        cg = hier / CGROUP_PARENT / host
        if cg.is_dir():
            # The container's systemd builds its own tree below ours: remove bottom-up.
            for dirpath, _dirs, _files in os.walk(cg, topdown=False):
                _rmdir_retry(Path(dirpath))
            _rmdir_retry(cg)
        parent = hier / CGROUP_PARENT
        if parent.is_dir() and not any(p.is_dir() for p in parent.iterdir()):
            _rmdir_retry(parent)


def _rmdir_retry(d: Path) -> None:
    # Processes just killed leave their cgroup only once the kernel has
    # torn them down, which takes seconds for a big one on a loaded machine.
    for _ in range(150):
        try:
            d.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)
    raise LabError(f"cgroup {d} is still busy; processes remain in it")


def kill_pids(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


# --- links ---------------------------------------------------------------------
def link_exists(name: str) -> bool:
    return Path(f"/sys/class/net/{name}").exists()


def link_state(name: str) -> str | None:
    try:
        flags = int(Path(f"/sys/class/net/{name}/flags").read_text(), 16)
    except OSError:
        return None
    return "up" if flags & 0x1 else "down"


def ensure_bridge(name: str, address: str, prefixlen: int) -> None:
    if not link_exists(name):
        run(["ip", "link", "add", name, "type", "bridge", "stp_state", "0"])
    addrs = run(["ip", "-o", "-4", "addr", "show", "dev", name]).stdout
    if f" {address}/{prefixlen} " not in addrs:
        run(["ip", "addr", "add", f"{address}/{prefixlen}", "dev", name])
    run(["ip", "link", "set", name, "up"])


def delete_link(name: str) -> None:
    if link_exists(name):
        run(["ip", "link", "del", name])


def mounts_under(path: Path) -> list[str]:
    prefix = str(path)
    out = []
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            mnt = line.split()[1]
            if mnt == prefix or mnt.startswith(prefix + "/"):
                out.append(mnt)
    return out


def is_mounted(path: Path) -> bool:
    return str(path) in mounts_under(path)
