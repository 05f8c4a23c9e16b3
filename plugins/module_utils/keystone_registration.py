# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""What a service's registration in keystone lacks, from keystone's own records.

Pure functions on plain dicts, as openstacksdk's ``to_dict()`` gives them: the
module dozencloud.cloud.keystone_registration lists keystone's services,
endpoints and role assignments once, plans here, then makes only the calls the
plan names. Records are matched the way openstack.cloud's catalog_service and
endpoint modules match them: a service by name and type, an endpoint by
service, interface and region.
"""

from __future__ import annotations

INTERFACES = ("public", "internal", "admin")


class RegistrationError(Exception):
    """Keystone holds records the plan cannot choose between; the message says which."""


def _service_key(record):
    return record.get("name"), record.get("type")


def plan_services(wanted, services):
    """Services to create and to update.

    ``wanted``: [{name, type, description}]; ``services``: keystone's records
    ({id, name, type, description, is_enabled}). Returns (create, update, ids):
    the wanted entries keystone lacks, (id, changes) for records whose
    description or enabled state differs, and name -> id of those it has.
    """
    by_key = {}
    for record in services:
        by_key.setdefault(_service_key(record), []).append(record)
    create, update, ids = [], [], {}
    for entry in wanted:
        found = by_key.get(_service_key(entry), [])
        if len(found) > 1:
            raise RegistrationError(
                f"keystone has {len(found)} services named {entry['name']!r} of type "
                f"{entry['type']!r} ({', '.join(sorted(r['id'] for r in found))}); "
                "delete all but one (openstack service delete ID)"
            )
        if not found:
            create.append(entry)
            continue
        record = found[0]
        ids[entry["name"]] = record["id"]
        changes = {}
        if (record.get("description") or "") != entry["description"]:
            changes["description"] = entry["description"]
        if record.get("is_enabled") is False:
            changes["is_enabled"] = True
        if changes:
            update.append((record["id"], changes))
    return create, update, ids


def plan_endpoints(wanted, ids, region, endpoints):
    """Endpoints to create and to update.

    ``wanted``: [{name, endpoints: {interface: url}}]; ``ids``: service name ->
    id, absent for a service still to be created (all its endpoints are then
    new); ``endpoints``: keystone's records ({id, service_id, interface,
    region_id, url, is_enabled}). Returns (create, update): (service name,
    interface, url) and (endpoint id, service name, interface, changes).
    """
    by_key = {}
    for record in endpoints:
        key = (record.get("service_id"), record.get("interface"), record.get("region_id"))
        by_key.setdefault(key, []).append(record)
    create, update = [], []
    for entry in wanted:
        for interface, url in sorted(entry["endpoints"].items()):
            if interface not in INTERFACES:
                raise RegistrationError(
                    f"service {entry['name']!r}: endpoint interface {interface!r} is not one of "
                    f"{', '.join(INTERFACES)}"
                )
            service_id = ids.get(entry["name"])
            found = by_key.get((service_id, interface, region), []) if service_id else []
            if len(found) > 1:
                raise RegistrationError(
                    f"keystone has {len(found)} {interface} endpoints of service "
                    f"{entry['name']!r} in region {region!r} "
                    f"({', '.join(sorted(r['id'] for r in found))}); "
                    "delete all but one (openstack endpoint delete ID)"
                )
            if not found:
                create.append((entry["name"], interface, url))
                continue
            record = found[0]
            changes = {}
            if record.get("url") != url:
                changes["url"] = url
            if record.get("is_enabled") is False:
                changes["is_enabled"] = True
            if changes:
                update.append((record["id"], entry["name"], interface, changes))
    return create, update


def plan_roles(wanted, roles, assigned):
    """Role names to assign: ``wanted`` names, ``roles`` keystone's ({id, name}),
    ``assigned`` the ids of the roles the user already holds on the project.

    Returns [(name, id)] in the order wanted. A role keystone lacks is an error:
    roles are the keystone role's to create, not a service's.
    """
    ids = {}
    for record in roles:
        ids.setdefault(record["name"], []).append(record["id"])
    missing = [name for name in wanted if name not in ids]
    if missing:
        raise RegistrationError(
            f"keystone has no role {', '.join(map(repr, missing))}; "
            "the keystone role creates the service role (tasks_from: project), admin comes "
            "from keystone-manage bootstrap"
        )
    todo = []
    for name in dict.fromkeys(wanted):
        if len(ids[name]) > 1:
            raise RegistrationError(
                f"keystone has {len(ids[name])} roles named {name!r}; delete all but one"
            )
        if ids[name][0] not in assigned:
            todo.append((name, ids[name][0]))
    return todo


def describe(
    services_create,
    services_update,
    endpoints_create,
    endpoints_update,
    user_create=None,
    roles=(),
    password_update=None,
):
    """One line per change, for the module's ``changes`` and diff."""
    lines = [f"create service {e['name']} ({e['type']})" for e in services_create]
    lines += [
        f"update service {sid}: {', '.join(sorted(changes))}" for sid, changes in services_update
    ]
    lines += [f"create endpoint {name} {iface} {url}" for name, iface, url in endpoints_create]
    lines += [
        f"update endpoint {name} {iface} ({eid}): "
        + ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))
        for eid, name, iface, changes in endpoints_update
    ]
    if user_create:
        lines.append(f"create user {user_create}")
    if password_update:
        lines.append(f"set the password of user {password_update}")
    lines += [f"assign role {name}" for name, _id in roles]
    return lines
