#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)

DOCUMENTATION = r"""
---
module: rabbitmq_account
short_description: A RabbitMQ user with its password, tags and permissions on a vhost, read in one call
version_added: 0.1.0
description:
  - Ensures a RabbitMQ internal user, its password, its tags and its permissions on a vhost
    (creating the vhost), or that the user is gone.
  - Reads the user, its password hash, its permissions and the vhost with one
    C(rabbitmqctl eval). Each rabbitmqctl command starts an Erlang VM (about 0.7 s), and
    community.rabbitmq's rabbitmq_user and rabbitmq_vhost need six of them for the same answer.
    Then it runs only the rabbitmqctl commands that change something.
  - The password is checked against the stored salted hash here, so it is on a command line
    only when it has to be set (C(add_user), C(change_password)), as community.rabbitmq sets it.
    For a hashing scheme other than SHA-256, SHA-512 or MD5 it is checked with
    C(authenticate_user).
  - Runs on a RabbitMQ node, as root.
author:
  - DozenCloud developers
options:
  user:
    description: The user's name.
    type: str
    required: true
  password:
    description: The user's password. Required with I(state=present).
    type: str
    no_log: true
  vhost:
    description: The vhost the user gets I(permissions) on, created when missing.
    type: str
  permissions:
    description: Configure, write and read permission regexes on I(vhost).
    type: list
    elements: str
    default: [".*", ".*", ".*"]
  tags:
    description: The user's tags, such as C(administrator); the user has exactly these.
    type: list
    elements: str
    default: []
  state:
    description: Whether the user exists.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Create the nova vhost and user
  dozencloud.cloud.rabbitmq_account:
    user: nova
    password: "{{ nova_rabbitmq_password }}"
    vhost: nova

- name: Remove the default guest user
  dozencloud.cloud.rabbitmq_account:
    user: guest
    state: absent
"""

RETURN = r"""
changes:
  description: The rabbitmqctl commands run, or that check mode would run, without passwords.
  returned: always
  type: list
  elements: str
  sample: ["add_vhost nova", "add_user nova", "set_permissions -p nova nova .* .* .*"]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dozencloud.cloud.plugins.module_utils.rabbitmq import (
    AccountError,
    describe,
    parse_state,
    plan,
    state_expression,
)


def rabbitmqctl(module, args, check_rc=True):
    rc, out, err = module.run_command(["rabbitmqctl", "--quiet", *args])
    if check_rc and rc != 0:
        shown = describe(args)
        module.fail_json(msg=f"rabbitmqctl {shown} failed (rc {rc}): {(err or out).strip()}")
    return rc, out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            user=dict(type="str", required=True),
            password=dict(type="str", no_log=True),
            vhost=dict(type="str"),
            permissions=dict(type="list", elements="str", default=[".*", ".*", ".*"]),
            tags=dict(type="list", elements="str", default=[]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["password"])],
        supports_check_mode=True,
    )
    p = module.params
    if len(p["permissions"]) != 3:
        module.fail_json(msg="permissions needs three regexes: configure, write, read")
    try:
        _rc, out = rabbitmqctl(module, ["eval", state_expression(p["user"], p["vhost"])])
        state = parse_state(out)
        steps = plan(
            state,
            p["user"],
            password=p["password"],
            vhost=p["vhost"],
            permissions=p["permissions"],
            tags=p["tags"],
            present=p["state"] == "present",
        )
    except AccountError as exc:
        module.fail_json(msg=str(exc))
    changes = []
    for step in steps:
        if step[0] == "authenticate_user":
            # A hashing scheme this module cannot check: ask RabbitMQ.
            rc, _out = rabbitmqctl(module, step, check_rc=False)
            if rc == 0:
                continue
            step = ["change_password", *step[1:]]
        changes.append(describe(step))
        if not module.check_mode:
            rabbitmqctl(module, step)
    module.exit_json(changed=bool(changes), changes=changes)


if __name__ == "__main__":
    main()
