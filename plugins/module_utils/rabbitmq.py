# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""A RabbitMQ account's state in one rabbitmqctl call, and what it lacks.

Each rabbitmqctl command starts an Erlang VM (about 0.7 s). community.rabbitmq
needs five of them to find that a user, its password and its permissions are
in place. One `rabbitmqctl eval` reads the same, and the password is checked
here against the stored salted hash, so it is not on a command line unless
it has to be set.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

# RabbitMQ's hashing modules: rabbit_password_hashing_<name> is
# salt (4 bytes) ++ hash(salt ++ password) (rabbit_password:hash/2).
_HASHES = {
    "rabbit_password_hashing_sha256": hashlib.sha256,
    "rabbit_password_hashing_sha512": hashlib.sha512,
    "rabbit_password_hashing_md5": hashlib.md5,
}
# Names DozenCloud gives: what can sit in an Erlang binary literal unescaped.
_NAME = re.compile(r"^[A-Za-z0-9_.@/:-]{1,255}$")


class AccountError(Exception):
    """Input or an answer from RabbitMQ the module cannot use; the message says which."""


def _binary(name, what):
    if not _NAME.match(name):
        raise AccountError(f"{what} {name!r} has characters other than letters, digits and _.@/:-")
    return f'<<"{name}">>'


def state_expression(user, vhost=None):
    """The Erlang expression for `rabbitmqctl eval`: the user, its permissions and the vhost, as JSON."""
    u = _binary(user, "user")
    v = _binary(vhost, "vhost") if vhost else "undefined"
    return (
        f"U = {u}, V = {v}, "
        "User = case rabbit_auth_backend_internal:lookup_user(U) of "
        "{ok, R} -> #{hash => base64:encode(internal_user:get_password_hash(R)), "
        "algorithm => internal_user:get_hashing_algorithm(R), "
        "tags => internal_user:get_tags(R)}; _ -> null end, "
        "Perms = case User of null -> []; _ -> "
        "[maps:from_list(P) || P <- rabbit_auth_backend_internal:list_user_permissions(U)] end, "
        "VHost = case V of undefined -> null; _ -> rabbit_vhost:exists(V) end, "
        'io:format("~s~n", [rabbit_json:encode(#{user => User, permissions => Perms, '
        "vhost => VHost})])."
    )


def parse_state(output):
    """The JSON line `rabbitmqctl eval` printed (it then prints the result, ok)."""
    for line in output.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    raise AccountError(f"rabbitmqctl eval printed no account state: {output.strip()[:300]!r}")


def password_matches(user_record, password):
    """Whether ``password`` is the stored one; None for a hashing scheme not known here."""
    digest = _HASHES.get(user_record.get("algorithm"))
    if digest is None:
        return None
    stored = base64.b64decode(user_record["hash"])
    salt = stored[:4]
    return digest(salt + password.encode()).digest() == stored[4:]


def plan(state, user, password=None, vhost=None, permissions=None, tags=(), present=True):
    """The rabbitmqctl commands (argument lists) that bring the account to what is asked.

    ``state`` is what ``state_expression`` printed. A password check needing a
    scheme this module does not know is ["authenticate_user", ...], which the
    caller runs and follows with change_password when it fails.
    """
    record = state.get("user")
    if not present:
        return [["delete_user", user]] if record else []
    steps = []
    if vhost and not state.get("vhost"):
        steps.append(["add_vhost", vhost])
    if record is None:
        steps.append(["add_user", user, password])
    else:
        matches = password_matches(record, password)
        if matches is None:
            steps.append(["authenticate_user", user, password])
        elif not matches:
            steps.append(["change_password", user, password])
    held_tags = sorted(record.get("tags") or []) if record else []
    if held_tags != sorted(tags):
        steps.append(["set_user_tags", user, *tags])
    if vhost:
        configure, write, read = permissions or (".*", ".*", ".*")
        wanted = {"configure": configure, "write": write, "read": read}
        held = next((p for p in state.get("permissions", []) if p.get("vhost") == vhost), None)
        if held is None or any(held.get(k) != v for k, v in wanted.items()):
            steps.append(["set_permissions", "-p", vhost, user, configure, write, read])
    return steps


def describe(step):
    """A step for the module's result, without the password."""
    if step[0] in ("add_user", "change_password", "authenticate_user"):
        return f"{step[0]} {step[1]}"
    return " ".join(step)
