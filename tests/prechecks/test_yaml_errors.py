"""A site whose YAML cannot be read cleanly is refused, naming the file and the line.

Ansible 2.19 reports a YAML error in group_vars without the file, and a key
written twice only as a warning, the last value winning. The project's
ansible.cfg enables the dozencloud.cloud.site_yaml vars plugin, which reads
those files first, and fails on a hosts file no inventory plugin can parse.

The broken files are written here, at run time, so that the repository's own
YAML stays lintable.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PLAYBOOK, ROOT, run_playbook

HOSTS = """---
all:
  children:
    controllers:
      hosts:
        ctl01: {ansible_host: 198.18.10.11}
    computes:
      hosts:
        cmp01: {ansible_host: 198.18.10.21}
"""
NETWORKS = """---
dozen_networks:
  management: {cidr: 198.18.10.0/24, vip: 198.18.10.10}
"""

# case -> (files to write over the good site, fragments of the output)
CASES = {
    "duplicate-key-in-group-vars": (
        {
            "group_vars/all/site.yml": "---\ndozen_region_name: One\nhost_prep_ntp_pools: []\n"
            "dozen_region_name: Two\n"
        },
        [
            "group_vars/all/site.yml:4:1: the key 'dozen_region_name' is written twice in one "
            "mapping (first on line 2); Ansible would keep the last value only",
            "Fix:",
        ],
    ),
    "duplicate-key-in-host-vars": (
        {
            "host_vars/cmp01.yml": "---\ndozen_addresses:\n  management: 198.18.10.21\n"
            "  management: 198.18.10.22\n"
        },
        ["host_vars/cmp01.yml:4:3: the key 'management' is written twice"],
    ),
    "parse-error-in-group-vars": (
        {"group_vars/computes.yml": "---\nhost_prep_ntp_servers: [198.18.10.1\n"},
        [
            "group_vars/computes.yml:3:1: not valid YAML: while parsing a flow sequence",
            "(what is open there started on line 2)",
        ],
    ),
    "parse-error-in-hosts": (
        {"hosts.yml": HOSTS.replace("198.18.10.21}", "198.18.10.21")},
        ["Origin: {site}/hosts.yml:", "[ERROR]: Completely failed to parse inventory source"],
    ),
}


def write_site(path, files):
    for name, text in {
        "hosts.yml": HOSTS,
        "group_vars/all/networks.yml": NETWORKS,
        **files,
    }.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_unreadable_yaml_is_refused_with_its_file_and_line(tmp_path, case):
    files, fragments = CASES[case]
    site = write_site(tmp_path / "site", files)
    run = run_playbook(["-i", str(site), str(PLAYBOOK), "--tags", "prechecks_inventory"], tmp_path)
    out = run.output
    assert run.returncode != 0, out
    for fragment in fragments:
        assert fragment.format(site=site) in out, out
    assert "changed=1" not in out and "PLAY [Check every host]" not in out, out


def test_dozen_shows_the_file_and_line_without_verbose(tmp_path):
    files, fragments = CASES["duplicate-key-in-group-vars"]
    site = write_site(tmp_path / "site", files)
    dozen = Path(sys.executable).with_name("dozen")
    proc = subprocess.run(
        [
            dozen,
            "prechecks",
            "-i",
            str(site),
            "--tags",
            "prechecks_inventory",
            "--run-dir",
            str(tmp_path / "run"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert f"[ERROR]: {site}/{fragments[0]}" in out, out
