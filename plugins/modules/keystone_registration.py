#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)

DOCUMENTATION = r"""
---
module: keystone_registration
short_description: Register a service in keystone in one call, catalog, endpoints, user and roles
version_added: 0.1.0
description:
  - Ensures an OpenStack service's catalog services and their endpoints, and optionally its
    service user with roles on a project, with one authentication and one listing of each kind of
    record, then only the calls that change something.
  - openstack.cloud needs a task per service, per endpoint and per role assignment, each
    authenticating again (catalog_service, endpoint, identity_user, role_assignment). This module
    matches records the same way they do. A service is matched by name and type, and an endpoint
    by service, interface and region.
  - A service or endpoint that keystone holds twice is an error naming the records, as is a role
    keystone lacks; nothing is changed then.
  - The password of an existing user is tried with a token request as that user; it is set
    again only when keystone refuses it (a rotated password). No password is compared or shown.
  - Creates and updates only; it never deletes.
author:
  - DozenCloud developers
options:
  services:
    description: Catalog services to register.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Service name, such as C(glance).
        type: str
        required: true
      type:
        description: Service type, such as C(image).
        type: str
        required: true
      description:
        description: Service description.
        type: str
        required: true
      endpoints:
        description: Interface (C(public), C(internal), C(admin)) to URL.
        type: dict
        required: true
  region:
    description: Region id of the endpoints.
    type: str
    required: true
  user:
    description: The service's user, created when missing, with I(roles) on I(project).
    type: dict
    suboptions:
      name:
        description: User name.
        type: str
        required: true
      password:
        description: Password, set when the user is created, and when keystone refuses it for the existing user.
        type: str
        required: true
        no_log: true
      domain:
        description: Domain of the user and the project, by id or name.
        type: str
        default: default
      project:
        description: Project the roles are given on, and the user's default project.
        type: str
        required: true
      roles:
        description: Roles the user holds on I(project). Roles it holds beyond these stay.
        type: list
        elements: str
        default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - openstack.cloud.openstack
"""

EXAMPLES = r"""
- name: Register glance
  dozencloud.cloud.keystone_registration:
    auth: "{{ service_keystone_auth }}"
    interface: internal
    region: RegionOne
    services:
      - name: glance
        type: image
        description: OpenStack Image
        endpoints:
          public: http://198.18.0.10:9292
          internal: http://198.18.0.10:9292
    user:
      name: glance
      password: "{{ glance_keystone_password }}"
      project: service
      roles: [admin, service]
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
changes:
  description: One line per change made, or that check mode would make.
  returned: always
  type: list
  elements: str
  sample: ["create service glance (image)", "create endpoint glance public http://198.18.0.10:9292"]
services:
  description: Name to id of every service in I(services).
  returned: success, when not in check mode or when all services exist
  type: dict
user_id:
  description: Id of the user, when I(user) is given and it exists.
  returned: when I(user) is given
  type: str
"""

from ansible_collections.dozencloud.cloud.plugins.module_utils.keystone_registration import (
    RegistrationError,
    describe,
    plan_endpoints,
    plan_roles,
    plan_services,
)
from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule


def _records(resources):
    return [r.to_dict(computed=False) for r in resources]


class KeystoneRegistrationModule(OpenStackModule):
    argument_spec = dict(
        services=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(required=True),
                type=dict(required=True),
                description=dict(required=True),
                endpoints=dict(type="dict", required=True),
            ),
        ),
        region=dict(required=True),
        user=dict(
            type="dict",
            options=dict(
                name=dict(required=True),
                password=dict(required=True, no_log=True),
                domain=dict(default="default"),
                project=dict(required=True),
                roles=dict(type="list", elements="str", default=[]),
            ),
        ),
    )
    module_kwargs = dict(supports_check_mode=True)

    def _password_works(self, user_id, password):
        admin = self.conn.session
        return _token_for(admin.auth.auth_url, user_id, password, admin.verify)

    def run(self):
        identity = self.conn.identity
        wanted, region, user = self.params["services"], self.params["region"], self.params["user"]
        try:
            services_create, services_update, ids = plan_services(
                wanted, _records(identity.services())
            )
            endpoints_create, endpoints_update = plan_endpoints(
                wanted, ids, region, _records(identity.endpoints())
            )
            user_record, project, roles = None, None, []
            if user:
                domain = identity.find_domain(user["domain"], ignore_missing=False)
                project = identity.find_project(
                    user["project"], domain_id=domain.id, ignore_missing=False
                )
                user_record = identity.find_user(user["name"], domain_id=domain.id)
                assigned = set()
                if user_record is not None:
                    assigned = {
                        r.id
                        for r in identity.role_assignments_filter(project=project, user=user_record)
                    }
                roles = plan_roles(user["roles"], _records(identity.roles()), assigned)
        except RegistrationError as exc:
            self.fail_json(msg=str(exc))
        password_stale = user_record is not None and not self._password_works(
            user_record.id, user["password"]
        )

        changes = describe(
            services_create,
            services_update,
            endpoints_create,
            endpoints_update,
            user_create=user["name"] if user and user_record is None else None,
            roles=roles,
            password_update=user["name"] if password_stale else None,
        )
        result = dict(changed=bool(changes), changes=changes)
        if self.ansible._diff and changes:
            result["diff"] = dict(prepared="".join(f"+ {line}\n" for line in changes))
        if self.ansible.check_mode:
            if not services_create:
                result["services"] = ids
            if user_record is not None:
                result["user_id"] = user_record.id
            self.exit_json(**result)

        for entry in services_create:
            created = identity.create_service(
                name=entry["name"],
                type=entry["type"],
                description=entry["description"],
                is_enabled=True,
            )
            ids[entry["name"]] = created.id
        for service_id, attrs in services_update:
            identity.update_service(service_id, **attrs)
        for name, interface, url in endpoints_create:
            identity.create_endpoint(
                service_id=ids[name],
                interface=interface,
                url=url,
                region_id=region,
                is_enabled=True,
            )
        for endpoint_id, _name, _interface, attrs in endpoints_update:
            identity.update_endpoint(endpoint_id, **attrs)
        if user:
            if user_record is None:
                user_record = identity.create_user(
                    name=user["name"],
                    password=user["password"],
                    domain_id=project.domain_id,
                    default_project_id=project.id,
                    is_enabled=True,
                )
            elif password_stale:
                identity.update_user(user_record, password=user["password"])
            for _name, role_id in roles:
                identity.assign_project_role_to_user(project, user_record, role_id)
            result["user_id"] = user_record.id
        result["services"] = ids
        self.exit_json(**result)


def _token_for(auth_url, user_id, password, verify):
    """Whether keystone gives an unscoped token for the user and password."""
    from keystoneauth1 import exceptions, session
    from keystoneauth1.identity import v3

    auth = v3.Password(auth_url=auth_url, user_id=user_id, password=password)
    try:
        session.Session(auth=auth, verify=verify).get_token()
    except exceptions.Unauthorized:
        return False
    return True


def main():
    module = KeystoneRegistrationModule()
    module()


if __name__ == "__main__":
    main()
