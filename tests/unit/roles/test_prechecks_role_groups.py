"""The prechecks' table of which roles each kind of host runs matches the playbooks.

The prechecks validate each host's values against the argument specs of the
roles in ``_prechecks_role_groups``. A role added to a play but not to the
table would go unchecked, so the table is derived here from playbooks/*.yml
(their plays' roles, import_role and include_role) and compared.
"""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
PREFIX = "dozencloud.cloud."

# A play's hosts pattern -> the kind of host in the table. verify.yml's
# dozen_verify_* groups are hosts it picks (add_host) from the computes and
# the controllers.
KINDS = {
    "all": "all",
    "localhost": "localhost",
    "{{ dozen_controllers_group | default('controllers') }}": "controllers",
    "{{ dozen_computes_group | default('computes') }}": "computes",
    "dozen_verify_compute": "computes",
    "dozen_verify_ovn_central": "controllers",
}


def _task_roles(tasks):
    for task in tasks or []:
        for key in ("block", "rescue", "always"):
            yield from _task_roles(task.get(key))
        for action in (
            "ansible.builtin.import_role",
            "ansible.builtin.include_role",
            "import_role",
            "include_role",
        ):
            if action in task:
                yield task[action]["name"]


def playbook_roles():
    found = {}
    for book in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(book.read_text()):
            if "hosts" not in play:
                continue
            kind = KINDS[play["hosts"]]
            names = [r["role"] if isinstance(r, dict) else r for r in play.get("roles", [])]
            names += list(_task_roles(play.get("pre_tasks")))
            names += list(_task_roles(play.get("tasks")))
            names += list(_task_roles(play.get("post_tasks")))
            found.setdefault(kind, set()).update(n.removeprefix(PREFIX) for n in names)
    return found


def test_every_play_hosts_pattern_is_known():
    for book in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(book.read_text()):
            if "hosts" in play:
                assert play["hosts"] in KINDS, f"{book.name}: {play['hosts']}"


def test_role_groups_match_the_playbooks():
    table = yaml.safe_load((ROOT / "roles/prechecks/vars/main.yml").read_text())
    table = {kind: set(roles) for kind, roles in table["_prechecks_role_groups"].items()}
    assert table == playbook_roles()
