# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""ansible.builtin.apt, with a fast path when dpkg already says nothing is to be done.

The apt module opens apt's whole package cache (python-apt) before it can say
that nothing is to be done: about half a second on an amd64 host and several
seconds on an emulated arm64 one, on every run. For the common cases, plain
package names to be present or absent, one dpkg-query says the same in a few
milliseconds. Anything else, or any package not in the asked state, goes to
the apt module unchanged.
"""

import shlex

from ansible.plugins.action import ActionBase
from ansible_collections.dozencloud.cloud.plugins.module_utils.packages import (
    absent,
    fast_path_names,
    installed,
)


class ActionModule(ActionBase):
    _requires_connection = True
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        names = fast_path_names(args)
        if names:
            # Read-only, so it runs in check mode too. dpkg-query exits 1 when
            # it knows a name not at all: the apt module decides then.
            query = self._low_level_execute_command(
                shlex.join(["dpkg-query", "-W", r"-f=${Package}\t${db:Status-Abbrev}\n", *names])
            )
            out = query.get("stdout", "")
            if self._task.args.get("state", "present") == "present" and installed(names, out):
                result.update(changed=False, msg=f"already installed (dpkg): {', '.join(names)}")
                result["packages"] = names
                return result
            if self._task.args.get("state") == "absent" and absent(names, out):
                result.update(changed=False, msg=f"not installed (dpkg): {', '.join(names)}")
                result["packages"] = names
                return result
        result.update(
            self._execute_module(
                module_name="ansible.legacy.apt", module_args=args, task_vars=task_vars
            )
        )
        return result
