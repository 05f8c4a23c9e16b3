#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)

DOCUMENTATION = r"""
---
module: firmware_select
short_description: Choose guest firmware the way QEMU's firmware.json specifies
version_added: 0.1.0
description:
  - Considers QEMU firmware descriptors in file-name order, after /etc/qemu/firmware has
    overridden or hidden same-named files of /usr/share/qemu/firmware, and returns the first
    one that offers the interface, architecture, machine type and features asked for.
  - Passes over a descriptor whose executable or NVRAM template does not exist on the host
    (Debian 12's 50-edk2-aarch64-secure.json names a file no package ships).
  - Fails with a message naming the architecture, the machine type, why each descriptor was
    passed over, and the package that provides the firmware per distribution family.
  - Reads only.
author:
  - DozenCloud developers
options:
  architecture:
    description: Guest architecture, in any naming scheme (aarch64, arm64, armhf, amd64, ...).
    type: str
    required: true
  machine:
    description:
      - Machine type, concrete (virt-7.2, pc-q35-7.2) or an unversioned alias (virt, pc, q35).
      - An alias matches only descriptors whose pattern covers every version of its family.
    type: str
    required: true
  interface:
    description: Firmware interface the guest needs.
    type: str
    default: uefi
    choices: [uefi, bios, openfirmware, uboot]
  features_required:
    description: Descriptor features that must all be present, for example secure-boot.
    type: list
    elements: str
    default: []
  features_excluded:
    description: Descriptor features that must all be absent, for example enrolled-keys.
    type: list
    elements: str
    default: []
  descriptors:
    description:
      - Normalised descriptors as C(ansible_facts.dozen_host.firmware) holds them.
      - When omitted, the module reads /usr/share/qemu/firmware and /etc/qemu/firmware.
    type: list
    elements: dict
  os_family:
    description:
      - Ansible os_family (Debian, RedHat, Suse) whose package to name on failure.
      - When omitted, the message names the package of every family.
    type: str
  nvram_required:
    description:
      - Choose only firmware that keeps a guest's UEFI variables in an NVRAM file, as nova and any
        persistent libvirt guest need it, a C(flash) mapping in C(split) mode with an NVRAM
        template.
      - Passes over C(memory) mappings (AMD SEV, Intel TDX images), C(stateless) and C(combined)
        flash, wherever they sort (nova bug 2122288).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
seealso:
  - module: dozencloud.cloud.host_facts
  - name: QEMU firmware descriptor format
    description: docs/interop/firmware.json in the QEMU source tree.
    link: https://gitlab.com/qemu-project/qemu/-/blob/master/docs/interop/firmware.json
"""

EXAMPLES = r"""
- name: Find the AAVMF build for aarch64 virt guests
  dozencloud.cloud.firmware_select:
    architecture: aarch64
    machine: virt
  register: __nova_firmware

- name: Find secure-boot OVMF without pre-enrolled keys
  dozencloud.cloud.firmware_select:
    architecture: x86_64
    machine: pc-q35-7.2
    features_required: [secure-boot]
    features_excluded: [enrolled-keys]
    descriptors: "{{ ansible_facts['dozen_host']['firmware'] }}"
    os_family: "{{ ansible_facts['os_family'] }}"
"""

RETURN = r"""
loader:
  description: Firmware executable to load.
  returned: success
  type: str
  sample: /usr/share/AAVMF/AAVMF_CODE.fd
loader_format:
  description: Block format of the executable (raw or qcow2), null for kernel and memory devices.
  returned: success
  type: str
  sample: raw
nvram_template:
  description: NVRAM template to copy for each guest; null when the firmware keeps no variables.
  returned: success
  type: str
  sample: /usr/share/AAVMF/AAVMF_VARS.fd
nvram_template_format:
  description: Block format of the NVRAM template.
  returned: success
  type: str
  sample: raw
mode:
  description: Flash mode (split, combined or stateless); null for kernel and memory devices.
  returned: success
  type: str
  sample: split
device:
  description: How the firmware is mapped (flash, kernel or memory).
  returned: success
  type: str
  sample: flash
descriptor:
  description: The chosen descriptor, normalised as in C(dozen_host.firmware).
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dozencloud.cloud.plugins.module_utils.firmware import (
    FirmwareError,
    select_firmware,
)
from ansible_collections.dozencloud.cloud.plugins.module_utils.host import (
    HostReader,
    host_firmware,
)

ARGUMENT_SPEC = {
    "architecture": {"type": "str", "required": True},
    "machine": {"type": "str", "required": True},
    "interface": {
        "type": "str",
        "default": "uefi",
        "choices": ["uefi", "bios", "openfirmware", "uboot"],
    },
    "features_required": {"type": "list", "elements": "str", "default": []},
    "features_excluded": {"type": "list", "elements": "str", "default": []},
    "descriptors": {"type": "list", "elements": "dict"},
    "os_family": {"type": "str"},
    "nvram_required": {"type": "bool", "default": False},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    descriptors = params["descriptors"]
    if descriptors is None:
        descriptors = host_firmware(HostReader())[0]
    try:
        choice = select_firmware(
            descriptors,
            params["architecture"],
            params["machine"],
            interface=params["interface"],
            features_required=params["features_required"],
            features_excluded=params["features_excluded"],
            os_family=params["os_family"],
            nvram_required=params["nvram_required"],
        )
    except FirmwareError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **choice)


if __name__ == "__main__":
    main()
