"""Bad topology input gets a clear error naming the field, and nothing is created."""

import os
import textwrap

import pytest
from labutil import lab_leftovers

GOOD_HOST = "  - {name: ok1, arch: amd64, address: 198.18.9.11, groups: [controllers]}\n"

CASES = {
    "unknown-arch": (
        "lab: {name: bad, network: 198.18.9.0/24}\nhosts:\n"
        + GOOD_HOST
        + "  - {name: r1, arch: sparc64, address: 198.18.9.12}\n",
        ["hosts[1] (r1).arch: unknown architecture 'sparc64'", "amd64, arm64"],
    ),
    "duplicate-name": (
        "lab: {name: bad, network: 198.18.9.0/24}\nhosts:\n"
        + GOOD_HOST
        + "  - {name: ok1, arch: arm64, address: 198.18.9.12}\n",
        ["hosts[1] (ok1).name: duplicate name 'ok1' (also hosts[0])"],
    ),
    "duplicate-address": (
        "lab: {name: bad, network: 198.18.9.0/24}\nhosts:\n"
        + GOOD_HOST
        + "  - {name: r1, arch: arm64, address: 198.18.9.11}\n",
        ["hosts[1] (r1).address: duplicate address 198.18.9.11 (also hosts[0])"],
    ),
    "address-outside-network": (
        "lab: {name: bad, network: 198.18.9.0/24}\nhosts:\n"
        + GOOD_HOST
        + "  - {name: r1, arch: arm64, address: 10.0.0.5}\n",
        ["hosts[1] (r1).address: 10.0.0.5 is outside lab.network 198.18.9.0/24"],
    ),
    "network-outside-lab-range": (
        "lab: {name: bad, network: 192.168.1.0/24}\nhosts:\n" + GOOD_HOST,
        ["lab.network: 192.168.1.0/24 is outside the lab range 198.18.0.0/15"],
    ),
    "malformed-yaml": (
        "lab: {name: bad\nhosts:\n  - name: [\n",
        ["not valid YAML at line"],
    ),
    "not-a-mapping": ("- just\n- a list\n", ["top level: expected a mapping"]),
    "missing-hosts": ("lab: {name: bad}\n", ["hosts: expected a non-empty list of hosts"]),
    "bad-memory": (
        "lab: {name: bad, network: 198.18.9.0/24}\nhosts:\n"
        "  - {name: m1, arch: amd64, address: 198.18.9.11, memory: lots}\n",
        ["hosts[0] (m1).memory: expected a size like 2G or 512M, got 'lots'"],
    ),
    "bad-hostname": (
        "lab: {name: bad, network: 198.18.9.0/24}\nhosts:\n"
        "  - {name: Bad_Name, arch: amd64, address: 198.18.9.11}\n",
        ["hosts[0] (Bad_Name).name: 'Bad_Name' is not a valid hostname"],
    ),
    "unknown-key": (
        "lab: {name: bad, network: 198.18.9.0/24}\nhosts:\n"
        "  - {name: k1, arch: amd64, address: 198.18.9.11, cpu: 4}\n",
        ["hosts[0] (k1): unknown keys ['cpu']"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_topology_is_refused_before_anything_changes(case, tmp_path, dozen):
    text, expected = CASES[case]
    topo = tmp_path / "lab.yml"
    topo.write_text(textwrap.dedent(text))
    env = dict(os.environ)
    env.update(
        DOZEN_LAB_STATE=str(tmp_path / "state"),
        DOZEN_LAB_CACHE=str(tmp_path / "cache"),
        DOZEN_LAB_RUNTIME=str(tmp_path / "run"),
    )
    before = lab_leftovers()
    proc = dozen("lab", "up", "--topology", str(topo), check=False, env=env)
    assert proc.returncode == 2, proc.stderr
    assert f"invalid lab topology {topo}" in proc.stderr
    for fragment in expected:
        assert fragment in proc.stderr
    assert lab_leftovers() == before
    assert not (tmp_path / "cache").exists()
    assert not (tmp_path / "run").exists()
    assert not (tmp_path / "state").exists()


def test_missing_file_is_named(tmp_path, dozen):
    proc = dozen("lab", "up", "--topology", str(tmp_path / "nope.yml"), check=False)
    assert proc.returncode == 2
    assert "nope.yml" in proc.stderr and "cannot read the file" in proc.stderr


def test_aio_topology_is_the_inventory():
    """inventories/aio/lab.yml feeds Ansible through the dozencloud.cloud.lab plugin."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [Path(sys.executable).parent / "ansible-inventory", "-i", "inventories/aio", "--list"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    inv = json.loads(proc.stdout)
    assert inv["controllers"]["hosts"] == ["ctl01"]
    assert inv["computes"]["hosts"] == ["cmp01"]
    # Inventory plugin values are data, never templates: ansible-inventory marks them unsafe.
    cmp01 = {
        k: v["__ansible_unsafe"] if isinstance(v, dict) and "__ansible_unsafe" in v else v
        for k, v in inv["_meta"]["hostvars"]["cmp01"].items()
    }
    assert cmp01["ansible_host"] == "198.18.0.21"
    assert "StrictHostKeyChecking=yes" in cmp01["ansible_ssh_common_args"]
    # Architecture is never an inventory group: roles read it from facts.
    assert not {"arm64", "aarch64", "amd64", "x86_64"} & set(inv)
    assert "[WARNING]" not in proc.stderr
