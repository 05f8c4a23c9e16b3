"""Fixture-backed host readers for the plugin tests.

A host fixture is a directory under tests/unit/fixtures/hosts/ holding
PROVENANCE.md, host.json (what is not a file: uname, page size, auxiliary
vector, directory listings, SMBIOS strings, KVM probe results) and files/, a
tree mirroring the host's paths (files/proc/cpuinfo is /proc/cpuinfo).
"""

import json
import struct
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HOSTS = FIXTURES / "hosts"
FIRMWARE = FIXTURES / "firmware"
HOST_NAMES = sorted(p.name for p in HOSTS.iterdir() if (p / "host.json").is_file())


def smbios_type4(manufacturer, version):
    """An SMBIOS type 4 (processor) structure carrying two strings (DSP0134 7.5).

    The formatted area is the 0x2A bytes of SMBIOS 2.6; manufacturer is string
    1 (offset 0x07), version string 2 (offset 0x10); other fields stay zero.
    """
    length = 0x2A
    formatted = bytearray(length)
    struct.pack_into("<BBH", formatted, 0, 4, length, 0x0004)
    formatted[0x07] = 1
    formatted[0x10] = 2
    strings = manufacturer.encode() + b"\0" + version.encode() + b"\0\0"
    return bytes(formatted) + strings


class FixtureReader:
    """Answers like HostReader, from a host fixture and optional extra roots.

    ``roots`` are further directories mirroring host paths (a firmware
    descriptor set, a tmp_path with admin overrides); the first that has a
    path wins. A root may list, in package-files.txt, files its packages ship
    that are too large to copy (firmware images); those exist too.
    """

    def __init__(self, host_dir, roots=()):
        self.meta = json.loads((host_dir / "host.json").read_text())
        self.roots = [host_dir / "files", *roots]
        self.probes = []
        self.listed = set()
        for root in roots:
            listing = root / "package-files.txt"
            if listing.is_file():
                lines = listing.read_text().splitlines()
                self.listed.update(line for line in lines if line.startswith("/"))

    def _find(self, path):
        for root in self.roots:
            candidate = root / path.lstrip("/")
            if candidate.exists():
                return candidate
        return None

    def read_text(self, path):
        found = self._find(path)
        return found.read_text() if found and found.is_file() else None

    def read_bytes(self, path):
        smbios = self.meta.get("smbios_type4")
        if path == "/sys/firmware/dmi/entries/4-0/raw" and smbios:
            return smbios_type4(smbios["manufacturer"], smbios["version"])
        found = self._find(path)
        return found.read_bytes() if found and found.is_file() else None

    def list_dir(self, path):
        if path in self.meta.get("dirs", {}):
            return sorted(self.meta["dirs"][path])
        names = set()
        for root in self.roots:
            directory = root / path.lstrip("/")
            if directory.is_dir():
                names.update(p.name for p in directory.iterdir())
        return sorted(names) or None

    def exists(self, path):
        if path in self.meta.get("exists", ()) or path in self.listed:
            return True
        return self._find(path) is not None

    def uname(self):
        return self.meta["uname"]["machine"], self.meta["uname"]["release"]

    def page_size(self):
        return self.meta["page_size"]

    def cpu_count(self):
        return self.meta.get("cpu_count")

    def hwcaps(self):
        return tuple(self.meta.get("hwcaps", (None, None)))

    def kvm_probe(self, check_el1_32bit):
        self.probes.append(check_el1_32bit)
        return dict(self.meta.get("kvm", {"device": False}))


@pytest.fixture
def host_reader():
    """Factory: ``host_reader(name, firmware='debian12', extra_roots=())``."""

    def make(name, firmware=None, extra_roots=()):
        roots = list(extra_roots)
        if firmware:
            roots.append(FIRMWARE / firmware)
        return FixtureReader(HOSTS / name, roots)

    return make


@pytest.fixture
def host_names():
    """Names of every host fixture."""
    return HOST_NAMES


def _descriptor_directories(name):
    """A recorded descriptor set (fixtures/firmware/NAME) as load_descriptors input."""
    directory = FIRMWARE / name / "usr/share/qemu/firmware"
    files = {p.name: p.read_text() for p in directory.glob("*.json")}
    return [("/usr/share/qemu/firmware", files), ("/etc/qemu/firmware", {})]


@pytest.fixture
def debian12_directories():
    """The Debian 12 descriptor set as load_descriptors input."""
    return _descriptor_directories("debian12")


@pytest.fixture
def debian_sid_directories():
    """Debian unstable's edk2 2026.08 descriptor set (memory-mapped SEV and TDX among them)."""
    return _descriptor_directories("debian-sid")
