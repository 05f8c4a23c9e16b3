"""Alembic heads from revision scripts, on trees recorded from Debian 12's OpenStack packages."""

import json
from pathlib import Path

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils.alembic import (
    ScriptError,
    heads,
    script_revision,
    status,
    tree,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "alembic"


def recorded(name):
    """(path, text) pairs of a recorded tree: each script's revision lines, as shipped."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    return list(data["scripts"].items()), data


@pytest.mark.parametrize(
    "name", ["nova-api", "nova-main", "keystone", "glance", "placement", "neutron"]
)
def test_recorded_trees_have_the_heads_the_database_held(name):
    scripts, data = recorded(name)
    revisions = tree(scripts)
    assert heads(revisions) == sorted(data["database_revisions"])
    assert status(data["database_revisions"], revisions)["current"] is True


def test_neutron_has_an_expand_and_a_contract_head():
    scripts, _ = recorded("neutron")
    assert len(heads(tree(scripts))) == 2


def test_a_dependency_on_another_branch_is_not_a_head():
    """glance's contract revisions depend on its expand ones: its table holds one row."""
    scripts, data = recorded("glance")
    assert data["database_revisions"] == ["wallaby_contract01"]
    assert heads(tree(scripts)) == ["wallaby_contract01"]
    assert tree(scripts)["wallaby_contract01"] == ("ussuri_contract01", "wallaby_expand01")


def test_a_database_behind_misses_the_head():
    revisions = {"a": (), "b": ("a",), "c": ("b",)}
    result = status(["b"], revisions)
    assert result == {
        "heads": ["c"],
        "revisions": ["b"],
        "missing": ["c"],
        "unknown": [],
        "current": False,
    }
    assert status([], revisions)["missing"] == ["c"]


def test_a_database_newer_than_the_code_names_the_unknown_revision():
    result = status(["d"], {"a": (), "b": ("a",)})
    assert result["unknown"] == ["d"] and result["current"] is False


def test_merges_branches_and_annotations():
    scripts = [
        ("base.py", "revision = 'a'\ndown_revision = None\n"),
        ("left.py", 'revision: str = "b"\ndown_revision: Union[str, None] = "a"\n'),
        ("right.py", "revision = 'c'\ndown_revision = 'a'\nbranch_labels = ('x',)\n"),
        ("merge.py", "revision = 'd'\ndown_revision = ('b', 'c')\n"),
        ("other.py", "revision = 'e'\ndown_revision = 'a'\n"),
        ("env.py", "from alembic import context\nrevision = context.get_revision()\n"),
        ("__init__.py", ""),
    ]
    revisions = tree(scripts)
    assert revisions["d"] == ("b", "c")
    assert heads(revisions) == ["d", "e"]


@pytest.mark.parametrize(
    ("scripts", "message"),
    [
        ([("x.py", "revision = 'a'\nrevision = (")], r"x.py: cannot parse it"),
        (
            [("a.py", "revision = 'a'\ndown_revision = None"), ("b.py", "revision = 'a'")],
            "revision a is defined twice",
        ),
        ([("b.py", "revision = 'b'\ndown_revision = 'a'")], "parent revisions a have no script"),
        ([("b.py", "revision = 'b'\ndown_revision = 3")], "b.py: down_revision is not"),
        ([("b.py", "revision = 'b'\ndepends_on = [1]")], "b.py: depends_on is not"),
    ],
)
def test_trees_alembic_could_not_run_are_refused(scripts, message):
    with pytest.raises(ScriptError, match=message):
        tree(scripts)


def test_a_script_without_a_revision_is_not_one():
    assert script_revision("down_revision = 'a'\n") is None
