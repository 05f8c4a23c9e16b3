#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)

DOCUMENTATION = r"""
---
module: server_console_log
short_description: Read a server's console log from nova, and find DozenCloud's marker in it
version_added: 0.1.0
description:
  - Returns what C(openstack console log show) prints, through openstacksdk
    (C(compute.get_server_console_output)), which openstack.cloud has no module for.
  - Finds the last C(DOZENCLOUD-GUEST-MARKER) line the test guest of
    M(dozencloud.cloud.guest_image_build) prints, and its fields.
  - Reads only.
author:
  - DozenCloud developers
options:
  server:
    description: Name or id of the server.
    type: str
    required: true
  length:
    description: Only the last this many lines; all when omitted.
    type: int
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
extends_documentation_fragment:
  - openstack.cloud.openstack
"""

EXAMPLES = r"""
- name: Wait for the guest's marker line
  dozencloud.cloud.server_console_log:
    auth: "{{ verify_auth }}"
    server: dozen-verify-aarch64
  register: __verify_console
  until: __verify_console.marker is not none
  retries: 60
  delay: 10
"""

RETURN = r"""
console:
  description: The console log text nova returned.
  returned: success
  type: str
lines:
  description: Number of lines in I(console).
  returned: success
  type: int
marker:
  description:
    - Fields of the last marker line (arch, page_size, kernel, firmware, uefi_var, config_drive
      when the image reports it, boot_id, and
      line, the whole line), or null when the log has none yet.
  returned: success
  type: dict
  sample:
    arch: aarch64
    page_size: "4096"
    kernel: 6.1.0-56-cloud-arm64
    firmware: uefi
    uefi_var: absent
    line: DOZENCLOUD-GUEST-MARKER arch=aarch64 page_size=4096 kernel=6.1.0-56-cloud-arm64 firmware=uefi ...
"""

from ansible_collections.dozencloud.cloud.plugins.module_utils.guest_image import parse_marker
from ansible_collections.openstack.cloud.plugins.module_utils.openstack import OpenStackModule


class ServerConsoleLogModule(OpenStackModule):
    argument_spec = dict(
        server=dict(required=True),
        length=dict(type="int"),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        server = self.conn.compute.find_server(self.params["server"], ignore_missing=True)
        if server is None:
            self.fail_json(msg=f"server {self.params['server']!r} not found")
        output = self.conn.compute.get_server_console_output(server, length=self.params["length"])
        console = output.get("output") or ""
        self.exit_json(
            changed=False,
            console=console,
            lines=len(console.splitlines()),
            marker=parse_marker(console),
        )


def main():
    module = ServerConsoleLogModule()
    module()


if __name__ == "__main__":
    main()
