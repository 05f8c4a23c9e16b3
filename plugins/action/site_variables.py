# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Check every host's variables against the argument specs of the roles it will run.

Runs on the controller only (the prechecks' localhost play): it reads each
host's inventory values through hostvars, templated as the host would see
them, and the roles' ``meta/argument_specs.yml`` from the collection. It
changes nothing and contacts no host, so it runs in check mode too.

Returns ``problems`` (values the roles would reject: a wrong type, a value
outside the choices) and ``unknown`` (variables in DozenCloud's namespaces
that no role reads), which are warnings too unless ``strict`` is set (then
the caller refuses them). Values themselves are never returned, and the
secrets' names (``skip``) are not validated here: the prechecks' secrets
check, which runs with no_log, does that.
"""

from pathlib import Path

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.dozencloud.cloud.plugins.module_utils.site_variables import (
    check_values,
    in_namespace,
    load_role_specs,
    namespaces,
    unknown_variables,
)

ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"

ARGUMENT_SPEC = {
    "roles": {"type": "dict", "required": True},
    "known": {"type": "list", "elements": "str", "default": []},
    "skip": {"type": "list", "elements": "str", "default": []},
    "strict": {"type": "bool", "default": False},
    "roles_dir": {"type": "path"},
}


class ActionModule(ActionBase):
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        specs = load_role_specs(args["roles_dir"] or ROLES_DIR)
        unknown_roles = sorted(set(args["roles"]) - set(specs))
        if unknown_roles:
            result.update(failed=True, msg=f"roles not in {ROLES_DIR}: {', '.join(unknown_roles)}")
            return result
        role_hosts = {role: list(hosts or []) for role, hosts in args["roles"].items()}
        hostvars = task_vars["hostvars"]
        # localhost's values are group_vars/all's: the site's, unless a host sets its own.
        hosts = sorted({host for hosts in role_hosts.values() for host in hosts} | {"localhost"})
        prefixes = namespaces(specs)
        options = {name for spec in specs.values() for name in spec["options"]}
        skip = set(args["skip"])
        values, untemplated = {}, set()
        for host in hosts:
            own = hostvars[host]
            values[host] = {}
            for name in own:
                if name in skip or not (name in options or in_namespace(name, prefixes)):
                    continue
                try:
                    values[host][name] = own[name]
                except AnsibleError:
                    # A value made from another variable the inventory does not
                    # hold (a role default): the role's own validation judges it.
                    values[host][name] = None
                    untemplated.add(name)
        checked = {
            host: {k: v for k, v in given.items() if k not in untemplated}
            for host, given in values.items()
        }
        result["problems"] = check_values(
            role_hosts, checked, specs, skip=skip, site_values=checked["localhost"]
        )
        result["unknown"] = unknown_variables(values, specs, extra=set(args["known"]) | skip)
        if not args["strict"]:
            result["warnings"] = list(result["unknown"])
        result["untemplated"] = sorted(untemplated)
        result["changed"] = False
        return result
