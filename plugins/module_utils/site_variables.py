# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""A site's variables against the argument specs of the roles its hosts run, as pure functions.

Each role's ``meta/argument_specs.yml`` says what its variables are: their
types, their choices, their elements. The deploy validates them when a role
starts, on the hosts of its play, which is after earlier roles have changed
those hosts. ``check_site`` applies the same validation to every host's
inventory values for every role that host will run, before anything changes,
and finds the variables in DozenCloud's namespaces (``dozen_*`` and
``<role>_*``) that no role knows: a misspelled name that would silently be
ignored.

The inputs are plain data (specs as loaded from the roles, values as the
inventory gives them), so the functions are tested on fixtures without
Ansible running a play.
"""

import difflib
import json
from collections.abc import Mapping
from pathlib import Path

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.dozencloud.cloud.plugins.module_utils.inventory_groups import hosts_phrase

# Option keys of an argument spec that Ansible's validator reads.
_VALIDATOR_KEYS = {
    "type",
    "elements",
    "choices",
    "options",
    "default",
    "no_log",
    "aliases",
    "apply_defaults",
    "mutually_exclusive",
    "required_together",
    "required_one_of",
    "required_if",
    "required_by",
}


def _spec_for_validator(option):
    """An argument spec option without its documentation, and without ``required``.

    ``required`` is left out: a required variable the inventory does not set
    comes from a role default, the play or the secrets file, and the
    prechecks check secrets on their own.
    """
    out = {key: value for key, value in option.items() if key in _VALIDATOR_KEYS}
    if isinstance(out.get("options"), dict):
        out["options"] = {name: _spec_for_validator(sub) for name, sub in out["options"].items()}
    return out


def load_role_specs(roles_dir):
    """Each role's options (of all its entry points) and default names, from its files.

    Returns ``{role: {"options": {name: option}, "defaults": [names]}}``.
    """
    specs = {}
    for role in sorted(p for p in Path(roles_dir).iterdir() if p.is_dir()):
        spec_file = role / "meta" / "argument_specs.yml"
        defaults_file = role / "defaults" / "main.yml"
        options = {}
        if spec_file.is_file():
            data = yaml.safe_load(spec_file.read_text()) or {}
            for entry_point in (data.get("argument_specs") or {}).values():
                options.update((entry_point or {}).get("options") or {})
        defaults = []
        if defaults_file.is_file():
            defaults = sorted((yaml.safe_load(defaults_file.read_text()) or {}).keys())
        specs[role.name] = {"options": options, "defaults": defaults}
    return specs


_TYPE_NAMES = {
    "dict": ("a mapping", "mappings"),
    "list": ("a list", "lists"),
    "bool": ("true or false", "booleans"),
    "int": ("a whole number", "whole numbers"),
    "float": ("a number", "numbers"),
    "str": ("a string", "strings"),
    "path": ("a path", "paths"),
}


def _describe_type(option):
    kind = option.get("type", "str")
    if kind == "list" and option.get("elements") in _TYPE_NAMES:
        return f"a list of {_TYPE_NAMES[option['elements']][1]}"
    return _TYPE_NAMES.get(kind, (f"of type {kind}",))[0]


def _fix(name, option, role):
    if option.get("choices"):
        return f"Fix: set {name} to one of {', '.join(str(c) for c in option['choices'])}."
    how = "unquoted" if option.get("type") in ("bool", "int", "float") else "in YAML"
    return (
        f"Fix: write {name} as {_describe_type(option)}, {how}, as roles/{role}/meta/"
        "argument_specs.yml describes it."
    )


_NATIVE = {
    "list": (list, tuple),
    "dict": (Mapping,),
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "path": (str,),
}
_BOOLEAN_WORDS = {"true", "false", "yes", "no", "on", "off", "1", "0", "y", "n"}
_NAMES = {
    list: "a list",
    tuple: "a list",
    bool: "a boolean",
    int: "a whole number",
    float: "a number",
    str: "a string",
    type(None): "null",
}


def _kind_of(value):
    if isinstance(value, Mapping):
        return "a mapping"
    for kind, name in _NAMES.items():
        if type(value) is kind or (kind is not bool and isinstance(value, kind)):
            return name
    return type(value).__name__


def _shown(value, limit=80):
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def type_errors(where, option, value):
    """Where a value is not of its option's type as YAML gives it, without conversion.

    Ansible's validator converts: a string becomes a list by splitting at
    commas, "yes" a boolean, "8" a number. The role, though, reads the
    variable itself, not the converted value, and iterates a string's
    characters. So the site must write each value in its own type.
    """
    kind = option.get("type", "str")
    native = _NATIVE.get(kind)
    if native is None or value is None:
        return []
    if kind == "bool" and isinstance(value, str) and value.lower() in _BOOLEAN_WORDS:
        # What `-e name=true` gives; the roles read booleans through `| bool`.
        return []
    if not isinstance(value, native) or (kind in ("int", "float") and isinstance(value, bool)):
        return [f"{where} is {_shown(value)} ({_kind_of(value)}), not {_describe_type(option)}"]
    errors = []
    if kind == "list" and option.get("elements"):
        element = {"type": option["elements"], "options": option.get("options")}
        for index, item in enumerate(value):
            errors += type_errors(f"{where}[{index}]", element, item)
    if kind == "dict" and isinstance(option.get("options"), dict):
        for key, sub in option["options"].items():
            if key in value:
                errors += type_errors(f"{where}.{key}", sub, value[key])
    return errors


def validate_value(name, option, value):
    """What is wrong with one variable's value; [] when it is valid.

    First its type as written (``type_errors``), then Ansible's own argument
    validation: choices, sub-options, and everything else the role's
    validation would refuse.
    """
    errors = type_errors(name, option, value)
    if errors:
        return errors
    validator = ArgumentSpecValidator({name: _spec_for_validator(option)})
    result = validator.validate({name: value})
    return [str(error) for error in result.errors.messages] if result.error_messages else []


def check_values(role_hosts, host_values, specs, skip=(), site_values=None):
    """Problems of the hosts' values for the roles they run, one message per distinct problem.

    ``role_hosts`` maps a role to the hosts that run it; ``host_values`` maps
    a host to the variables its inventory sets. ``site_values`` are the values
    every host gets unless it sets its own (``group_vars/all``, as localhost
    sees them): a problem with one of those is the site's, named ``site``.
    A problem shared by several hosts is one message naming them all.
    """
    site_values = site_values or {}
    found = {}
    for role in sorted(role_hosts):
        options = specs.get(role, {}).get("options", {})
        for host in role_hosts[role]:
            values = host_values.get(host, {})
            for name in sorted(set(options) & set(values)):
                if name in skip:
                    continue
                value = values[name]
                site = name in site_values and site_values[name] == value
                for error in validate_value(name, options[name], value):
                    entry = found.setdefault((name, error), {"owners": set(), "roles": set()})
                    entry["owners"].add("site" if site else host)
                    entry["roles"].add(role)
    problems = []
    for (name, error), entry in sorted(found.items()):
        roles = sorted(entry["roles"])
        option = specs[roles[0]]["options"][name]
        owners = entry["owners"]
        who = "site" if "site" in owners and len(owners) == 1 else hosts_phrase(owners - {"site"})
        if "site" in owners and len(owners) > 1:
            who = "site and " + who
        if error.startswith(name):
            what = f"{error}, as role {', '.join(roles)} reads it"
        else:
            what = f"{name} is not valid for role {', '.join(roles)}: {error}"
        problems.append(f"{who}: {what}. {_fix(name, option, roles[0])}")
    return problems


def known_names(specs, extra=()):
    """Every variable name a DozenCloud role reads from the inventory."""
    names = set(extra)
    for spec in specs.values():
        names.update(spec["options"])
        names.update(spec["defaults"])
    return names


def namespaces(specs):
    """The variable name prefixes DozenCloud owns: dozen_ and each role's name."""
    return sorted({"dozen_"} | {f"{role}_" for role in specs})


def in_namespace(name, prefixes):
    return any(name.startswith(prefix) for prefix in prefixes)


def unknown_variables(host_values, specs, extra=(), site="localhost"):
    """Variables in DozenCloud's namespaces that no role knows, one message per name.

    A name the ``site`` host (localhost: it sees group_vars/all) has too is
    the site's, named ``site``; others name the hosts that set them.
    """
    known = known_names(specs, extra)
    prefixes = namespaces(specs)
    site_names = set(host_values.get(site, {}))
    owners = {}
    for host, values in host_values.items():
        for name in values:
            if in_namespace(name, prefixes) and name not in known:
                owners.setdefault(name, set()).add("site" if name in site_names else host)
    messages = []
    for name in sorted(owners):
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
        hint = f"Did you mean {close[0]}? " if close else ""
        messages.append(
            f"{hosts_phrase(owners[name])}: {name} is set, but no DozenCloud role reads it, so it "
            f"changes nothing. {hint}Fix: correct its name (each role's variables are in its "
            "meta/argument_specs.yml), or remove it."
        )
    return messages
