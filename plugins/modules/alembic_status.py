#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)

DOCUMENTATION = r"""
---
module: alembic_status
short_description: Tell whether a service's database schema is at the heads of its installed code
version_added: 0.1.0
description:
  - Reads the alembic revision scripts an OpenStack service ships in its Python package, finds
    their heads, and compares them with the rows of the database's alembic version table.
  - It reads both in well under a second. The services' own commands (C(nova-manage db
    version), C(keystone-manage db_sync --check), C(neutron-db-manage current)) start the whole
    service code for the same answer, several seconds each.
  - The database is read as root through MariaDB's unix socket, as the DozenCloud database
    roles do. A missing database or version table counts as empty, so a migration is due.
  - Fails when the database holds a revision the installed scripts do not know. The database is
    then newer than the code, which happens after a package downgrade, and no migration of
    this code can bring it back.
  - Reads only. In check mode on a host where the service or the database is not there yet
    (a first deploy), it reports the database as not current instead of failing, since the
    migration would run.
author:
  - DozenCloud developers
requirements:
  - PyMySQL on the host (python3-pymysql, which every OpenStack service's packages bring)
options:
  database:
    description: Name of the database.
    type: str
    required: true
  migrations:
    description:
      - Directories holding the revision scripts, searched recursively for C(*.py). Give every
        branch the service's alembic configuration lists (its C(version_locations)).
    type: list
    elements: path
    required: true
  version_table:
    description: The alembic version table.
    type: str
    default: alembic_version
  login_unix_socket:
    description: MariaDB's unix socket.
    type: path
    default: /run/mysqld/mysqld.sock
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Check whether the nova_api database is current
  dozencloud.cloud.alembic_status:
    database: nova_api
    migrations: [/usr/lib/python3/dist-packages/nova/db/api/migrations/versions]
  register: __nova_controller_api_db
  run_once: true

- name: Migrate the nova_api database
  ansible.builtin.command: nova-manage api_db sync
  when: not __nova_controller_api_db.current
  run_once: true
"""

RETURN = r"""
current:
  description: Whether the database holds exactly the heads.
  returned: success
  type: bool
heads:
  description: The head revisions of the installed scripts.
  returned: success
  type: list
  elements: str
revisions:
  description: The revisions the database holds, empty for a new database.
  returned: success
  type: list
  elements: str
missing:
  description: Heads the database lacks.
  returned: success
  type: list
  elements: str
reason:
  description: Why check mode could not read the scripts or the database.
  returned: in check mode, when the service or the database is not there yet
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dozencloud.cloud.plugins.module_utils.alembic import (
    ScriptError,
    status,
    tree,
)

# MariaDB's "unknown database" and "no such table".
_EMPTY = (1049, 1146)


def read_scripts(directories):
    for directory in directories:
        if not os.path.isdir(directory):
            raise NotThere(f"{directory} is not a directory: is the service installed?")
        for root, dirs, files in os.walk(directory):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(root, name)
                    with open(path, encoding="utf-8") as f:
                        yield path, f.read()


class NotThere(Exception):
    """The service or its database is not installed yet (check mode on a new host)."""


def read_revisions(module):
    try:
        import pymysql
    except ImportError as exc:
        raise NotThere("PyMySQL is not installed (python3-pymysql)") from exc
    table = module.params["version_table"]
    if not table.replace("_", "").isalnum():
        module.fail_json(msg=f"version_table {table!r} is not a table name")
    try:
        conn = pymysql.connect(
            unix_socket=module.params["login_unix_socket"],
            user="root",
            database=module.params["database"],
        )
    except pymysql.err.OperationalError as exc:
        if exc.args and exc.args[0] in _EMPTY:
            return []
        raise NotThere(f"cannot read database {module.params['database']}: {exc}") from exc
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT version_num FROM `{table}`")
            return [row[0] for row in cursor.fetchall()]
    except pymysql.err.ProgrammingError as exc:
        if exc.args and exc.args[0] in _EMPTY:
            return []
        raise
    finally:
        conn.close()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            database=dict(type="str", required=True),
            migrations=dict(type="list", elements="path", required=True),
            version_table=dict(type="str", default="alembic_version"),
            login_unix_socket=dict(type="path", default="/run/mysqld/mysqld.sock"),
        ),
        supports_check_mode=True,
    )
    database = module.params["database"]
    try:
        revisions = tree(read_scripts(module.params["migrations"]))
        result = status(read_revisions(module), revisions)
    except NotThere as exc:
        if module.check_mode:
            module.exit_json(
                changed=False, current=False, heads=[], revisions=[], missing=[], reason=str(exc)
            )
        module.fail_json(msg=f"alembic_status for database {database}: {exc}")
    except (OSError, ScriptError) as exc:
        module.fail_json(msg=f"alembic_status for database {database}: {exc}")
    if result["unknown"]:
        module.fail_json(
            msg=(
                f"database {database} is at revision "
                f"{', '.join(result['unknown'])}, which the installed code does not know "
                f"(its heads: {', '.join(result['heads'])}): the database is newer than the "
                "code. Fix: install the service version that migrated it, or restore the "
                "database from before that migration."
            ),
            **result,
        )
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
