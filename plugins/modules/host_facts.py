#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)

DOCUMENTATION = r"""
---
module: host_facts
short_description: Gather architecture, page size, CPU, KVM and firmware facts of a host
version_added: 0.1.0
description:
  - Reads the host and sets C(ansible_facts.dozen_host), from which DozenCloud roles and
    prechecks take every architecture-dependent decision.
  - Names the architecture in every scheme (kernel, Ansible, Glance, dpkg, OCI, RPM, QEMU)
    from the collection's single alias table. An unknown machine keeps its raw name with
    C(known=false); the module does not fail on it.
  - Reports the real base page size, the huge page sizes the kernel lists and those the
    architecture allows for that page size, and whether the kernel is a separate 64K build.
  - Identifies the CPU from /proc/cpuinfo (MIDR implementer and part on ARM, vendor and
    family on x86) and, on ARM servers, the SMBIOS processor record.
  - Detects user-mode emulation (qemu-user), where uname reports the emulated architecture
    but /proc and /sys belong to the kernel underneath. It then takes CPU features from the
    auxiliary vector and never reports the underlying CPU.
  - Reports KVM as usable only when a VM can actually be created, plus on aarch64 the KVM
    mode, the GIC version and whether guests can run AArch32 at EL1.
  - Lists the QEMU firmware descriptors in effect, following QEMU's firmware.json rules.
  - Reads only; creating the probe VM allocates nothing that outlives the call.
author:
  - DozenCloud developers
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
notes:
  - Runs on x86_64, aarch64 and armv7l with the Python standard library only.
  - KVM probing needs read and write access to /dev/kvm, normally root.
seealso:
  - module: dozencloud.cloud.firmware_select
"""

EXAMPLES = r"""
- name: Gather DozenCloud host facts
  dozencloud.cloud.host_facts:

- name: Refuse an aarch64 compute host without usable KVM
  ansible.builtin.assert:
    that: ansible_facts['dozen_host']['virt']['kvm_usable']
    fail_msg: "{{ inventory_hostname }}: {{ ansible_facts['dozen_host']['virt']['kvm_reason'] }}"
  when: ansible_facts['dozen_host']['arch']['canonical'] == 'aarch64'
"""

RETURN = r"""
ansible_facts:
  description: Facts set on the host.
  returned: always
  type: dict
  contains:
    dozen_host:
      description: Everything DozenCloud needs to know about the host's architecture.
      returned: always
      type: dict
      contains:
        arch:
          description:
            - The architecture in every naming scheme. C(canonical), C(kernel), C(ansible)
              and C(glance) are the kernel name; C(dpkg), C(oci), C(oci_variant), C(rpm)
              and C(qemu) the other schemes; C(known) is false for a machine outside the
              table, whose other names are then null.
          type: dict
          returned: always
          sample:
            canonical: aarch64
            kernel: aarch64
            ansible: aarch64
            glance: aarch64
            dpkg: arm64
            oci: arm64
            oci_variant: v8
            rpm: aarch64
            qemu: aarch64
            known: true
        page_size:
          description: Base page size in bytes, from sysconf(_SC_PAGE_SIZE).
          type: int
          returned: always
          sample: 65536
        kernel:
          description:
            - C(release) as uname -r prints it; C(flavour) 4k, 16k or 64k from the real page
              size; C(release_page_suffix) the 16k/64k suffix of the release, if any;
              C(separate_64k_kernel) true when the release ends in +64k or -64k (RHEL's
              kernel-64k, Ubuntu's -64k).
          type: dict
          returned: always
          sample:
            release: 5.14.0-427.el9.aarch64+64k
            flavour: 64k
            release_page_suffix: 64k
            separate_64k_kernel: true
        hugepages:
          description:
            - C(available_kb) lists the sizes under /sys/kernel/mm/hugepages (empty under
              emulation, where /sys belongs to another kernel); C(possible_kb) the sizes the
              architecture allows for this page size and CPU.
          type: dict
          returned: always
          sample:
            available_kb: [2048, 524288, 16777216]
            possible_kb: [2048, 524288, 16777216]
        cpu:
          description:
            - C(vendor), C(core) (core names in order of appearance, joined with " + " on
              big.LITTLE systems; "family F model M" on x86), C(implementer), C(part),
              C(variant), C(revision) (MIDR fields of the boot CPU, null on x86),
              C(model_name), C(features) (sorted), C(features_source) (cpuinfo or hwcap) and
              C(count). Under emulation vendor and core are "unknown (emulated)".
          type: dict
          returned: always
          sample:
            vendor: Ampere
            core: Neoverse N1
            implementer: "0x41"
            part: "0xd0c"
            variant: "0x3"
            revision: 1
            model_name: Ampere(R) Altra(R) Processor Q80-30 CPU @ 3.0GHz
            features: [aes, asimd, atomics, fp]
            features_source: cpuinfo
            count: 80
        emulated:
          description: Whether the architecture uname reports is emulated in user mode.
          type: bool
          returned: always
        emulator:
          description: C(qemu-user) when emulated, else null.
          type: str
          returned: always
        emulation_evidence:
          description: What the emulation decision rests on, in words.
          type: str
          returned: always
        virt:
          description:
            - C(container) (the value of /run/systemd/container, or null); C(kvm_present)
              (/dev/kvm exists); C(kvm_usable) (KVM_CREATE_VM succeeded on a host that is
              not emulated); C(kvm_reason) (why, in words); on aarch64 C(kvm_mode) (vhe,
              nvhe, protected, nested or null) with C(kvm_mode_source); C(gic_version) (2, 3,
              4 or null, ARM only); C(aarch32_el1) (KVM_CAP_ARM_EL1_32BIT on a VM, null when
              it cannot be asked).
          type: dict
          returned: always
          sample:
            container: null
            kvm_present: true
            kvm_usable: true
            kvm_reason: KVM_CREATE_VM succeeded (KVM API 12)
            kvm_mode: vhe
            kvm_mode_source: "arch_timer uses the EL2 timer (INTID 26): the kernel runs at EL2"
            gic_version: 3
            aarch32_el1: false
        firmware:
          description:
            - Effective QEMU firmware descriptors in selection order, each normalised to
              name, path, description, interface_types, device, mode, executable,
              executable_format, nvram_template, nvram_template_format, targets
              (architecture, machines), features, tags, and missing_files (the
              executable or NVRAM template paths that do not exist on the host;
              firmware selection passes such a descriptor over).
          type: list
          elements: dict
          returned: always
        firmware_errors:
          description: Descriptor files that could not be used, as path and error.
          type: list
          elements: dict
          returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dozencloud.cloud.plugins.module_utils.host import (
    HostReader,
    gather_host_facts,
)

ARGUMENT_SPEC = {}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    facts = gather_host_facts(HostReader())
    module.exit_json(changed=False, ansible_facts={"dozen_host": facts})


if __name__ == "__main__":
    main()
