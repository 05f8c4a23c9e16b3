# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""The heads of an alembic migration tree, read from its scripts without alembic.

An alembic revision script names itself (``revision = "..."``), its parents
(``down_revision``: a string, None, or a tuple for a merge) and the revisions
of other branches it needs (``depends_on``, same forms). The heads are the
revisions no other revision names as a parent or dependency, as alembic
records them: once a revision that depends on another branch's revision is
applied, the version table holds it alone (glance's contract revisions depend
on its expand ones, and its table holds one row). A database is current when
its alembic_version table holds exactly those heads. The OpenStack services
ship their trees in their Python packages (nova's api and main databases,
keystone, glance, placement, neutron's expand and contract branches).
"""

from __future__ import annotations

import ast


class ScriptError(Exception):
    """A script the tree cannot use; the message names it."""


def _literal(node):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ...  # not a literal: not a revision script's assignment


def _revisions(value, what, name):
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ScriptError(f"{name}: {what} is not a revision, a tuple of them or None")


def script_revision(text, name="<script>"):
    """(revision, parents and dependencies) of one script's text, or None when it is not one."""
    try:
        tree = ast.parse(text, filename=name)
    except SyntaxError as exc:
        raise ScriptError(f"{name}: cannot parse it ({exc.msg}, line {exc.lineno})") from exc
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in (
            "revision",
            "down_revision",
            "depends_on",
        ):
            found[target.id] = _literal(value)
    revision = found.get("revision")
    if not isinstance(revision, str):
        return None
    parents = _revisions(found.get("down_revision"), "down_revision", name)
    needs = _revisions(found.get("depends_on"), "depends_on", name)
    return revision, parents + tuple(n for n in needs if n not in parents)


def tree(scripts):
    """Revision -> parents of the tree made of ``scripts``, (name, text) pairs.

    A revision named twice, or a parent no script defines, is an error: the
    tree on disk is not one alembic could run.
    """
    out, where = {}, {}
    for name, text in scripts:
        found = script_revision(text, name)
        if found is None:
            continue
        revision, parents = found
        if revision in out:
            raise ScriptError(f"revision {revision} is defined twice ({where[revision]}, {name})")
        out[revision], where[revision] = parents, name
    unknown = sorted({p for parents in out.values() for p in parents} - set(out))
    if unknown:
        raise ScriptError(f"parent revisions {', '.join(unknown)} have no script")
    return out


def heads(revisions):
    """The revisions of a tree (revision -> parents) that no other names as a parent, sorted."""
    named = {parent for parents in revisions.values() for parent in parents}
    return sorted(set(revisions) - named)


def status(db_revisions, revisions):
    """Compare a database's alembic_version rows with a tree (revision -> parents).

    Returns a dict: ``heads``; ``missing``, the heads the database lacks (a
    migration is due); ``unknown``, database revisions the tree does not hold
    (the database is newer than the code: no migration can help); and
    ``current``, whether the database holds exactly the heads.
    """
    wanted, db = heads(revisions), sorted(set(db_revisions))
    return {
        "heads": wanted,
        "revisions": db,
        "missing": sorted(set(wanted) - set(db)),
        "unknown": sorted(set(db) - set(revisions)),
        "current": db == wanted,
    }
