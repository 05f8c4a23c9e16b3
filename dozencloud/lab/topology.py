"""Lab topology files: parsing and validation.

A topology names the lab hosts, their architecture, memory hint, address and
inventory groups. Every problem is reported with the path of the offending
field, and all of them are found before the lab creates anything.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# The lab builds Debian images, so hosts are named by dpkg architecture.
# The kernel names are accepted as well and mapped through the plugins' table.
LAB_NETWORK = ipaddress.ip_network("198.18.0.0/15")
DEFAULT_NETWORK = "198.18.0.0/24"
HOSTNAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$")
MEMORY_RE = re.compile(r"^(\d+)\s*([KMGT]i?B?|)$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


class TopologyError(ValueError):
    """A topology file is malformed. Carries every problem found."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid lab topology {source}:\n{lines}")


@dataclass(frozen=True)
class LabHost:
    name: str
    arch: str  # dpkg name: amd64 or arm64
    address: str
    memory_bytes: int
    groups: tuple[str, ...] = ()
    hostvars: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def kernel_arch(self) -> str:
        return _dpkg_to_kernel()[self.arch]


@dataclass(frozen=True)
class Topology:
    name: str
    network: ipaddress.IPv4Network
    gateway: str
    hosts: tuple[LabHost, ...]
    suite: str = "bookworm"
    mirror: str = "http://deb.debian.org/debian"
    source: str = "<memory>"

    @property
    def prefixlen(self) -> int:
        return self.network.prefixlen

    def host(self, name: str) -> LabHost:
        for h in self.hosts:
            if h.name == name:
                return h
        known = ", ".join(h.name for h in self.hosts)
        raise KeyError(f"no lab host named {name!r} (hosts: {known})")


def _dpkg_to_kernel() -> dict[str, str]:
    """The lab architectures, as dpkg name -> kernel name, from the plugins' alias table."""
    from dozencloud.archnames import lab_architectures

    return lab_architectures()


def parse_memory(value, where: str, problems: list[str]) -> int | None:
    if isinstance(value, bool):
        problems.append(f"{where}: expected a size like 2G or 512M, got {value!r}")
        return None
    if isinstance(value, int):
        size = value
    else:
        m = MEMORY_RE.match(str(value).strip())
        if not m:
            problems.append(f"{where}: expected a size like 2G or 512M, got {value!r}")
            return None
        size = int(m.group(1)) * _UNITS[m.group(2)[:1].upper()]
    if size < 128 * 1024**2:
        problems.append(f"{where}: {value!r} is below the 128M a booted Debian host needs")
        return None
    return size


def load(path: str | Path) -> Topology:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise TopologyError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise TopologyError(str(path), [f"not valid YAML{where}: {problem}"]) from exc
    return from_data(data, source=str(path))


def from_data(data, source: str = "<memory>") -> Topology:
    problems: list[str] = []
    if not isinstance(data, dict):
        raise TopologyError(source, ["top level: expected a mapping with 'lab' and 'hosts'"])
    unknown = sorted(set(data) - {"lab", "hosts", "plugin"})
    if unknown:
        problems.append(f"top level: unknown keys {unknown} (allowed: lab, hosts)")

    lab = data.get("lab") or {}
    if not isinstance(lab, dict):
        problems.append("lab: expected a mapping")
        lab = {}
    unknown = sorted(set(lab) - {"name", "network", "gateway", "suite", "mirror"})
    if unknown:
        problems.append(
            f"lab: unknown keys {unknown} (allowed: name, network, gateway, suite, mirror)"
        )
    name = str(lab.get("name", "dozen"))
    if not re.match(r"^[a-z][a-z0-9-]{0,15}$", name):
        problems.append(f"lab.name: {name!r} must be lowercase letters, digits and '-', at most 16")

    network = None
    try:
        network = ipaddress.ip_network(str(lab.get("network", DEFAULT_NETWORK)), strict=True)
    except ValueError as exc:
        problems.append(f"lab.network: {exc}")
    if network is not None and not (
        network.version == 4 and network.subnet_of(LAB_NETWORK)  # type: ignore[arg-type]
    ):
        problems.append(f"lab.network: {network} is outside the lab range {LAB_NETWORK}")
        network = None

    gateway = None
    if network is not None:
        gateway = str(lab.get("gateway", next(network.hosts())))
        try:
            if ipaddress.ip_address(gateway) not in network:
                problems.append(f"lab.gateway: {gateway} is outside lab.network {network}")
        except ValueError as exc:
            problems.append(f"lab.gateway: {exc}")

    hosts_data = data.get("hosts")
    hosts: list[LabHost] = []
    if not isinstance(hosts_data, list) or not hosts_data:
        problems.append("hosts: expected a non-empty list of hosts")
        hosts_data = []

    arches = _dpkg_to_kernel()
    seen_names: dict[str, int] = {}
    seen_addrs: dict[str, int] = {}
    for i, h in enumerate(hosts_data):
        where = f"hosts[{i}]"
        if not isinstance(h, dict):
            problems.append(f"{where}: expected a mapping with name, arch, address")
            continue
        hname = h.get("name")
        if isinstance(hname, str) and hname:
            where = f"hosts[{i}] ({hname})"
        unknown = sorted(set(h) - {"name", "arch", "address", "memory", "groups", "vars"})
        if unknown:
            problems.append(
                f"{where}: unknown keys {unknown} "
                "(allowed: name, arch, address, memory, groups, vars)"
            )
        if not isinstance(hname, str) or not HOSTNAME_RE.match(hname):
            problems.append(
                f"{where}.name: {hname!r} is not a valid hostname "
                "(lowercase letters, digits and '-', 1-32 characters)"
            )
        elif hname in seen_names:
            problems.append(
                f"{where}.name: duplicate name {hname!r} (also hosts[{seen_names[hname]}])"
            )
        else:
            seen_names[hname] = i

        arch = _normalise_arch(h.get("arch"), arches)
        if arch is None:
            problems.append(
                f"{where}.arch: unknown architecture {h.get('arch')!r} "
                f"(the lab builds {', '.join(sorted(arches))}, also known as "
                f"{', '.join(sorted(arches.values()))})"
            )

        addr = h.get("address")
        if addr is None:
            problems.append(f"{where}.address: missing (an address in {network or 'lab.network'})")
        else:
            try:
                ip = ipaddress.ip_address(str(addr))
            except ValueError:
                problems.append(f"{where}.address: {addr!r} is not an IPv4 address")
            else:
                if network is not None and ip not in network:
                    problems.append(f"{where}.address: {ip} is outside lab.network {network}")
                elif network is not None and ip in (
                    network.network_address,
                    network.broadcast_address,
                ):
                    problems.append(f"{where}.address: {ip} is the network or broadcast address")
                elif gateway is not None and str(ip) == gateway:
                    problems.append(
                        f"{where}.address: {ip} is the lab gateway (the lab machine itself)"
                    )
                elif str(ip) in seen_addrs:
                    problems.append(
                        f"{where}.address: duplicate address {ip} "
                        f"(also hosts[{seen_addrs[str(ip)]}])"
                    )
                else:
                    seen_addrs[str(ip)] = i

        memory = parse_memory(h.get("memory", "1G"), f"{where}.memory", problems)
        groups = h.get("groups", [])
        if not isinstance(groups, list) or not all(
            isinstance(g, str) and re.match(r"^[a-z_][a-z0-9_]*$", g) for g in groups
        ):
            problems.append(
                f"{where}.groups: expected a list of inventory group names "
                f"(lowercase letters, digits, '_'), got {groups!r}"
            )
            groups = []
        hostvars = h.get("vars", {})
        if not isinstance(hostvars, dict):
            problems.append(f"{where}.vars: expected a mapping of inventory variables")
            hostvars = {}
        if arch and memory and isinstance(hname, str) and addr is not None:
            hosts.append(LabHost(hname, arch, str(addr), memory, tuple(groups), dict(hostvars)))

    if problems:
        raise TopologyError(source, problems)
    assert network is not None and gateway is not None
    return Topology(
        name=name,
        network=network,  # type: ignore[arg-type]
        gateway=gateway,
        hosts=tuple(hosts),
        suite=str(lab.get("suite", "bookworm")),
        mirror=str(lab.get("mirror", "http://deb.debian.org/debian")),
        source=source,
    )


def _normalise_arch(value, arches: dict[str, str]) -> str | None:
    """Any alias of a lab architecture (arm64, aarch64, AMD64...) -> its dpkg name."""
    from dozencloud.archnames import table

    canonical = table().canonical_arch(value)
    for dpkg, kernel in arches.items():
        if canonical == kernel:
            return dpkg
    return None
