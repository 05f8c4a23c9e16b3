# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Inventory plugin: the hosts of a DozenCloud lab topology."""

DOCUMENTATION = r"""
name: lab
short_description: Lab hosts from a DozenCloud lab topology file
description:
  - Reads a lab topology (the file C(dozen lab up) builds hosts from) and
    returns its hosts, their inventory groups, and the SSH settings that
    reach them, namely the lab's key and a known_hosts file holding exactly
    the host keys the lab generated, checked strictly.
  - The topology file is validated as C(dozen lab up) validates it; any
    problem fails the inventory with the field that is wrong.
  - Architecture in the topology only picks the image a lab host boots.
    Roles take the architecture from the host's facts.
  - Needs the C(dozencloud) Python package (installed by scripts/bootstrap).
options:
  plugin:
    description: Marks the file as a DozenCloud lab topology.
    required: true
    choices: [dozencloud.cloud.lab]
    type: str
  lab:
    description: Lab settings (name, network, gateway, suite, mirror).
    type: dict
    default: {}
  hosts:
    description: The lab hosts (name, arch, address, memory, groups, vars).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
# inventories/aio/lab.yml
plugin: dozencloud.cloud.lab
lab:
  name: aio
  network: 198.18.0.0/24
hosts:
  - name: ctl01
    arch: amd64
    address: 198.18.0.11
    memory: 8G
    groups: [controllers]
"""

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

try:
    from dozencloud.lab.lab import LabPaths, inventory
    from dozencloud.lab.topology import TopologyError, from_data

    HAS_DOZENCLOUD = True
except ImportError:
    HAS_DOZENCLOUD = False


class InventoryModule(BaseInventoryPlugin):
    NAME = "dozencloud.cloud.lab"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("lab.yml", "lab.yaml"))

    def parse(self, inventory_obj, loader, path, cache=True):
        super().parse(inventory_obj, loader, path, cache)
        if not HAS_DOZENCLOUD:
            raise AnsibleParserError(
                "the dozencloud.cloud.lab inventory needs the dozencloud Python package; "
                "run scripts/bootstrap and use the project venv"
            )
        data = loader.load_from_file(path, cache="none")
        try:
            topo = from_data(data, source=path)
        except TopologyError as exc:
            raise AnsibleParserError(str(exc)) from exc
        inv = inventory(topo, LabPaths.from_env())
        for key, value in inv["all"]["vars"].items():
            self.inventory.set_variable("all", key, value)
        for group in inv["all"]["children"]:
            self.inventory.add_group(group)
        for name, hostvars in inv["_meta"]["hostvars"].items():
            self.inventory.add_host(name)
            for key, value in hostvars.items():
                self.inventory.set_variable(name, key, value)
        for group in inv["all"]["children"]:
            for name in inv[group]["hosts"]:
                self.inventory.add_child(group, name)
