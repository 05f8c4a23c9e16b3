#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)

DOCUMENTATION = r"""
---
module: cloud_capabilities
short_description: Read what an OpenStack cloud says about itself, for Tempest's configuration
version_added: 0.1.0
description:
  - Asks the cloud's APIs, through openstacksdk, what C(dozencloud.cloud.tempest_config) needs to
    write tempest.conf from facts instead of guesses.
  - The catalog's services; the minimum and maximum microversions of compute and placement
    (from their version documents); the network extensions' aliases; the hypervisors with their
    state, status and CPU architecture; keystone's role names; and glance's image import
    methods.
  - Reads only.
author:
  - DozenCloud developers
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
extends_documentation_fragment:
  - openstack.cloud.openstack
"""

EXAMPLES = r"""
- name: Read the cloud's capabilities
  dozencloud.cloud.cloud_capabilities:
    auth: "{{ tempest_auth }}"
    region_name: RegionOne
    interface: public
  register: __tempest_cloud
"""

RETURN = r"""
capabilities:
  description: What the cloud reports.
  returned: success
  type: dict
  contains:
    services:
      description: Catalog services, each with type, name and enabled.
      type: list
      elements: dict
    microversions:
      description: "{compute: {min, max}, placement: {min, max}}; a service without microversions is absent."
      type: dict
    network_extensions:
      description: Aliases of neutron's extensions.
      type: list
      elements: str
    hypervisors:
      description:
        - Each with name, host (the compute service's host), state, status, hypervisor_type and
          architecture (from cpu_info, read at compute microversion 2.87, the last that has it;
          null when nova does not say).
      type: list
      elements: dict
    roles:
      description:
        - Keystone's role names. Ansible hides every returned value equal to a value of the
          no_log I(auth) option, so the C(admin) role of an C(admin) user shows as
          C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER).
      type: list
      elements: str
    image_import_methods:
      description: Glance's import methods (GET /v2/info/import).
      type: list
      elements: str
  sample:
    services: [{type: compute, name: nova, enabled: true}]
    microversions: {compute: {min: "2.1", max: "2.93"}, placement: {min: "1.0", max: "1.39"}}
    network_extensions: [port-security, router]
    hypervisors: [{name: cmp01, host: cmp01, state: up, status: enabled, hypervisor_type: QEMU,
                   architecture: aarch64}]
    roles: [admin, member, reader]
    image_import_methods: [glance-direct, web-download, copy-image]
"""

import json

from ansible_collections.dozencloud.cloud.plugins.module_utils.arch import canonical_arch
from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule


def _version(value):
    """A microversion as keystoneauth gives it ((2, 93), or None) -> "2.93" or None."""
    if not value or value[0] in (None, "latest"):
        return None
    return ".".join(str(part) for part in value)


def hypervisor_architecture(cpu_info):
    """The canonical architecture in a hypervisor's cpu_info (a dict, or JSON text), or None."""
    if isinstance(cpu_info, str):
        try:
            cpu_info = json.loads(cpu_info)
        except ValueError:
            return None
    arch = cpu_info.get("arch") if isinstance(cpu_info, dict) else None
    if not arch:
        return None
    return canonical_arch(arch) or arch


def hypervisor_entry(raw):
    """One hypervisor of GET /os-hypervisors/detail, as the module returns it."""
    return {
        "name": raw.get("hypervisor_hostname"),
        "host": (raw.get("service") or {}).get("host"),
        "state": raw.get("state"),
        "status": raw.get("status"),
        "hypervisor_type": raw.get("hypervisor_type"),
        "architecture": hypervisor_architecture(raw.get("cpu_info")),
    }


class CloudCapabilitiesModule(OpenStackModule):
    argument_spec = dict()
    module_kwargs = dict(supports_check_mode=True)

    def _microversions(self, proxy):
        data = proxy.get_endpoint_data()
        if data is None:
            return None
        low, high = _version(data.min_microversion), _version(data.max_microversion)
        return {"min": low, "max": high} if high else None

    def run(self):
        conn = self.conn
        services = [
            {"type": s.type, "name": s.name, "enabled": bool(s.is_enabled)}
            for s in conn.identity.services()
        ]
        types = {s["type"] for s in services if s["enabled"]}
        microversions = {}
        for name in ("compute", "placement"):
            if name in types:
                found = self._microversions(getattr(conn, name))
                if found:
                    microversions[name] = found
        extensions = (
            sorted(e.alias for e in conn.network.extensions()) if "network" in types else []
        )
        hypervisors = []
        if "compute" in types:
            # The hypervisors' CPU architecture is in cpu_info, which nova
            # dropped from the API at 2.88: ask at 2.87 (or the cloud's max).
            version = "2.87"
            high = microversions.get("compute", {}).get("max")
            if high and tuple(map(int, high.split("."))) < (2, 87):
                version = high
            answer = conn.compute.get("/os-hypervisors/detail", microversion=version)
            answer.raise_for_status()
            hypervisors = [hypervisor_entry(h) for h in answer.json().get("hypervisors", [])]
        methods = []
        if "image" in types:
            info = conn.image.get_import_info()
            methods = list((info.import_methods or {}).get("value") or [])
        self.exit_json(
            changed=False,
            capabilities={
                "services": sorted(services, key=lambda s: (s["type"], s["name"])),
                "microversions": microversions,
                "network_extensions": extensions,
                "hypervisors": sorted(hypervisors, key=lambda h: h["name"] or ""),
                "roles": sorted(r.name for r in conn.identity.roles()),
                "image_import_methods": methods,
            },
        )


def main():
    module = CloudCapabilitiesModule()
    module()


if __name__ == "__main__":
    main()
