"""The lab: hosts of a topology, their bridge, apt cache and time source."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from dozencloud.lab import images, system, topology
from dozencloud.lab.host import Host
from dozencloud.lab.services import AptCache, TimeSource
from dozencloud.lab.system import LabError

SSH_READY_TIMEOUT = 300.0


@dataclass(frozen=True)
class LabPaths:
    state: Path
    cache: Path
    runtime: Path

    @classmethod
    def from_env(cls) -> LabPaths:
        return cls(
            state=Path(os.environ.get("DOZEN_LAB_STATE", "/var/lib/dozencloud/lab")),
            cache=Path(os.environ.get("DOZEN_LAB_CACHE", "/var/cache/dozencloud/lab")),
            runtime=Path(os.environ.get("DOZEN_LAB_RUNTIME", "/run/dozencloud-lab")),
        )

    @property
    def record(self) -> Path:
        return self.state / "lab.json"

    @property
    def ssh_key(self) -> Path:
        return self.state / "ssh" / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.state / "ssh" / "known_hosts"


def _log(msg: str) -> None:
    print(f"lab: {msg}", file=sys.stderr, flush=True)


class Lab:
    def __init__(self, paths: LabPaths | None = None, log=_log):
        self.paths = paths or LabPaths.from_env()
        self.log = log
        self._lockfd: int | None = None

    # -- locking: one lab operation at a time (flock on the state directory) ----
    def __enter__(self) -> Lab:
        self.paths.state.mkdir(parents=True, exist_ok=True)
        self._lockfd = os.open(self.paths.state, os.O_RDONLY)
        try:
            fcntl.flock(self._lockfd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.log("another lab operation is running; waiting for it")
            fcntl.flock(self._lockfd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        if self._lockfd is not None:
            os.close(self._lockfd)
            self._lockfd = None

    # -- the recorded topology of the lab on disk -------------------------------
    def recorded(self) -> topology.Topology | None:
        try:
            data = json.loads(self.paths.record.read_text())
        except FileNotFoundError:
            return None
        return topology.from_data(data["topology"], source=data.get("source", "lab.json"))

    def _record(self, topo: topology.Topology, raw: dict) -> None:
        self.paths.record.write_text(
            json.dumps({"source": topo.source, "topology": raw}, indent=2) + "\n"
        )

    def bridge(self, topo: topology.Topology) -> str:
        return f"dzbr-{topo.name}"[:15]

    def hosts(self, topo: topology.Topology) -> list[Host]:
        return [
            Host(
                h,
                topo,
                self.paths.state,
                images.image_dir(self.paths.cache, topo.suite, h.arch, topo.mirror),
                self.bridge(topo),
            )
            for h in topo.hosts
        ]

    # -- up ---------------------------------------------------------------------
    def up(self, topo_path: Path, only: list[str] | None = None) -> dict:
        raw = _load_raw(topo_path)
        topo = topology.from_data(raw, source=str(topo_path))  # validates before any change
        current = self.recorded()
        if current is not None and _serialise(current) != _serialise(topo):
            running = [h.name for h in self.hosts(current) if h.running()]
            if running:
                raise LabError(
                    f"the lab is up with another topology ({current.source}; running: "
                    f"{', '.join(running)}). Run `dozen lab down` first."
                )
        system.require_tools()
        for arch in sorted({h.arch for h in topo.hosts}):
            system.require_binfmt(arch)
        started = time.monotonic()
        for arch in sorted({h.arch for h in topo.hosts}):
            images.ensure(self.paths.cache, topo.suite, arch, topo.mirror, self.log)
        self._record(topo, raw)
        self._ensure_ssh_key()
        self.paths.runtime.mkdir(parents=True, exist_ok=True)
        system.ensure_bridge(self.bridge(topo), topo.gateway, topo.prefixlen)
        acng = self._apt_cache(topo)
        acng.start()
        self._time_source(topo).start()

        pubkey = (self.paths.ssh_key.with_suffix(".pub")).read_text()
        etc_hosts = _etc_hosts(topo)
        todo = [h for h in self.hosts(topo) if only is None or h.name in only]
        booted = []
        for h in todo:
            if h.running():
                continue
            h.prepare(pubkey, etc_hosts, acng.url)
            h.start()
            booted.append(h.name)
        self._write_known_hosts(topo)
        if booted:
            self.log(f"booted {', '.join(booted)}; waiting for ssh")
        with ThreadPoolExecutor(max_workers=max(1, len(todo))) as pool:
            waits = list(pool.map(self._wait_ssh, todo))
        return {
            "booted": booted,
            "seconds": round(time.monotonic() - started, 1),
            "ssh_wait": dict(zip([h.name for h in todo], waits, strict=True)),
        }

    def _apt_cache(self, topo) -> AptCache:
        return AptCache(
            self.paths.runtime,
            self.paths.state,
            self.paths.cache,
            topo.gateway,
            str(topo.network),
            topo.mirror,
        )

    def _time_source(self, topo) -> TimeSource:
        return TimeSource(
            self.paths.runtime, self.paths.state, self.paths.cache, topo.gateway, str(topo.network)
        )

    def _ensure_ssh_key(self) -> None:
        key = self.paths.ssh_key
        if not key.exists():
            key.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            system.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dozen-lab", "-f", str(key)]
            )

    def _write_known_hosts(self, topo) -> None:
        lines = []
        for h in self.hosts(topo):
            for key in h.host_public_keys():
                lines.append(f"{h.spec.address},{h.name} {key}")
        self.paths.known_hosts.write_text("\n".join(lines) + "\n")

    def ssh_argv(self, address: str) -> list[str]:
        return [
            "ssh",
            "-i",
            str(self.paths.ssh_key),
            "-o",
            f"UserKnownHostsFile={self.paths.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=3",
            "-o",
            "LogLevel=ERROR",
            f"root@{address}",
        ]

    def _wait_ssh(self, h: Host) -> float:
        t0 = time.monotonic()
        deadline = t0 + SSH_READY_TIMEOUT
        while time.monotonic() < deadline:
            if not h.running():
                raise LabError(
                    f"{h.name}: the container stopped while booting; see {h.paths.console_log}"
                )
            rc = subprocess.run(
                [*self.ssh_argv(h.spec.address), "true"], capture_output=True
            ).returncode
            if rc == 0:
                return round(time.monotonic() - t0, 1)
            time.sleep(0.5)
        raise LabError(
            f"{h.name}: no ssh after {SSH_READY_TIMEOUT:.0f} s; see {h.paths.console_log}"
        )

    # -- down -------------------------------------------------------------------
    def down(self, purge: bool = False, only: list[str] | None = None) -> dict:
        topo = self.recorded()
        if topo is None:
            self._stop_services(None)
            return {"stopped": {}}
        hosts = [h for h in self.hosts(topo) if only is None or h.name in only]
        with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
            results = dict(
                zip([h.name for h in hosts], pool.map(Host.poweroff, hosts), strict=True)
            )
        if purge:
            for h in hosts:
                h.purge()
        if only is None:
            self._stop_services(topo)
            if purge:
                self.paths.record.unlink(missing_ok=True)
                self.paths.known_hosts.unlink(missing_ok=True)
        return {"stopped": results}

    def _stop_services(self, topo) -> None:
        if topo is not None:
            self._apt_cache(topo).stop()
            self._time_source(topo).stop()
            system.delete_link(self.bridge(topo))
        if self.paths.runtime.exists():
            shutil.rmtree(self.paths.runtime)

    # -- inspection and faults --------------------------------------------------
    def require(self) -> topology.Topology:
        topo = self.recorded()
        if topo is None:
            raise LabError("no lab is set up; run `dozen lab up` first")
        return topo

    def host(self, name: str) -> Host:
        topo = self.require()
        try:
            topo.host(name)
        except KeyError as exc:
            raise LabError(str(exc.args[0])) from exc
        return next(h for h in self.hosts(topo) if h.name == name)

    def status(self) -> dict:
        topo = self.recorded()
        if topo is None:
            return {"lab": None, "hosts": []}
        rows = []
        for h in self.hosts(topo):
            rows.append(
                {
                    "name": h.name,
                    "arch": h.spec.arch,
                    "address": h.spec.address,
                    "groups": list(h.spec.groups),
                    "running": h.running(),
                    "link": h.link_state(),
                    "memory_limit": system.cgroup_memory_limit(h.name),
                    "leader_pid": h.leader_pid(),
                }
            )
        return {
            "lab": topo.name,
            "topology": topo.source,
            "network": str(topo.network),
            "gateway": topo.gateway,
            "bridge": self.bridge(topo),
            "apt_cache": self._apt_cache(topo).url,
            "ssh_key": str(self.paths.ssh_key),
            "known_hosts": str(self.paths.known_hosts),
            "hosts": rows,
        }

    def inventory(self, topo: topology.Topology | None = None) -> dict:
        """The lab as an Ansible inventory (the JSON of an inventory script)."""
        return inventory(topo or self.require(), self.paths)


def inventory(topo: topology.Topology, paths: LabPaths) -> dict:
    """Hosts, groups and connection variables for a topology's lab hosts."""
    ssh_args = f"-o UserKnownHostsFile={paths.known_hosts} -o StrictHostKeyChecking=yes"
    hostvars: dict = {}
    groups: dict[str, list[str]] = {}
    for h in topo.hosts:
        hostvars[h.name] = {
            "ansible_host": h.address,
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(paths.ssh_key),
            "ansible_ssh_common_args": ssh_args,
            **h.hostvars,
        }
        for g in h.groups:
            groups.setdefault(g, []).append(h.name)
    # Site-wide lab facts belong to the group 'all', so localhost sees them too.
    site = {"dozen_lab_gateway": topo.gateway, "dozen_lab_network": str(topo.network)}
    inv: dict = {
        "_meta": {"hostvars": hostvars},
        "all": {"children": sorted(groups), "vars": site},
    }
    for g, members in groups.items():
        inv[g] = {"hosts": members}
    return inv


def _load_raw(path: Path) -> dict:
    topo = topology.load(path)  # raises TopologyError with every problem
    del topo
    import yaml

    return yaml.safe_load(Path(path).read_text())


def _serialise(topo: topology.Topology) -> str:
    return json.dumps(
        {
            "name": topo.name,
            "network": str(topo.network),
            "gateway": topo.gateway,
            "suite": topo.suite,
            "mirror": topo.mirror,
            "hosts": [
                [h.name, h.arch, h.address, h.memory_bytes, list(h.groups)] for h in topo.hosts
            ],
        },
        sort_keys=True,
    )


def _etc_hosts(topo: topology.Topology) -> str:
    lines = [
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        f"{topo.gateway}\tlabhost",
    ]
    lines += [f"{h.address}\t{h.name}" for h in topo.hosts]
    return "\n".join(lines) + "\n"
