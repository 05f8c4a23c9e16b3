#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Learn what a host lets DozenCloud change: kernel, sysctls, clock."""

DOCUMENTATION = r"""
module: host_capabilities
short_description: Learn which host settings DozenCloud may change
description:
  - Reports, as facts, what the host lets a deployment change, so roles can
    skip what is refused and say so instead of failing or reporting a change
    on every run.
  - A host in a container (a DozenCloud lab host, for example) shares the lab
    machine's kernel. It has no kernel command line of its own, its C(vm.*)
    and C(kernel.*) sysctls are read-only, and it lacks C(CAP_SYS_TIME), so it
    cannot keep the clock.
  - Read-only; supports check mode.
version_added: 0.1.0
author: DozenCloud developers
options:
  sysctl_keys:
    description:
      - Sysctl keys (dotted, like C(vm.swappiness)) whose writability to report.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Learn what this host allows
  dozencloud.cloud.host_capabilities:
    sysctl_keys: [vm.swappiness, net.ipv4.ip_forward]

- name: Apply a sysctl only where the host allows it
  ansible.posix.sysctl:
    name: vm.swappiness
    value: "10"
  when: ansible_facts['dozen_capabilities']['sysctl_writable']['vm.swappiness']
"""

RETURN = r"""
ansible_facts:
  description: Facts under the key C(dozen_capabilities).
  returned: always
  type: dict
  contains:
    dozen_capabilities:
      description: What this host lets a deployment change.
      type: dict
      contains:
        container:
          description: The container manager the host runs under, or null.
          type: str
          sample: systemd-nspawn
        own_kernel:
          description: Whether the host boots a kernel of its own.
          type: bool
        bootloader:
          description: Where the kernel command line is configured (grub, raspberrypi, kernel-install) or null.
          type: str
        kernel_cmdline:
          description: The running kernel's command line.
          type: str
        capabilities:
          description: Effective Linux capabilities of the deployment's processes, by name.
          type: list
          elements: str
        can_set_time:
          description: Whether the clock can be set here (CAP_SYS_TIME), which chrony needs.
          type: bool
        can_lock_memory:
          description: Whether memory can be locked (CAP_IPC_LOCK).
          type: bool
        sysctl_writable:
          description: For each requested key, whether it can be set (false if it does not exist).
          type: dict
        memory_cgroup:
          description: Whether the running kernel accounts memory per cgroup.
          type: bool
        emulated:
          description:
            - Whether the host's architecture is emulated in user mode (qemu-user),
              as on a lab's ARM64 host on an x86_64 machine. Every process there
              is slow to start, which host_prep takes into account.
          type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dozencloud.cloud.plugins.module_utils.host import emulation

# linux/capability.h
CAPABILITY_BITS = {
    "cap_net_admin": 12,
    "cap_ipc_lock": 14,
    "cap_sys_module": 16,
    "cap_sys_admin": 21,
    "cap_sys_nice": 23,
    "cap_sys_resource": 24,
    "cap_sys_time": 25,
}


def read(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def effective_capabilities(status_text):
    for line in (status_text or "").splitlines():
        if line.startswith("CapEff:"):
            mask = int(line.split()[1], 16)
            return sorted(n for n, bit in CAPABILITY_BITS.items() if mask & (1 << bit))
    return []


def detect_container(run_container, pid1_environ):
    if run_container and run_container.strip():
        return run_container.strip()
    for item in (pid1_environ or "").split("\0"):
        if item.startswith("container="):
            return item.split("=", 1)[1] or None
    return None


def detect_bootloader(exists):
    if exists("/boot/firmware/cmdline.txt"):
        return "raspberrypi"
    if exists("/etc/default/grub"):
        return "grub"
    if exists("/etc/kernel/cmdline"):
        return "kernel-install"
    return None


def memory_cgroup(proc_cgroups, cgroup2_controllers):
    for line in (proc_cgroups or "").splitlines():
        fields = line.split()
        if fields and fields[0] == "memory" and len(fields) >= 4:
            return fields[3] == "1"
    return "memory" in (cgroup2_controllers or "").split()


def sysctl_writable(key, access=os.access):
    path = "/proc/sys/" + key.replace(".", "/")
    return access(path, os.W_OK)


def emulated(machine, read=read):
    """Whether uname's architecture is emulated in user mode (see module_utils.host)."""
    return emulation(machine, read)[0]


def gather(sysctl_keys, read=read, exists=os.path.exists, access=os.access, machine=None):
    container = detect_container(read("/run/systemd/container"), read("/proc/1/environ"))
    caps = effective_capabilities(read("/proc/self/status"))
    return {
        "container": container,
        "own_kernel": container is None,
        "bootloader": detect_bootloader(exists) if container is None else None,
        "kernel_cmdline": (read("/proc/cmdline", "") or "").strip(),
        "capabilities": caps,
        "can_set_time": "cap_sys_time" in caps,
        "can_lock_memory": "cap_ipc_lock" in caps,
        "sysctl_writable": {k: sysctl_writable(k, access) for k in sysctl_keys},
        "memory_cgroup": memory_cgroup(
            read("/proc/cgroups"), read("/sys/fs/cgroup/cgroup.controllers")
        ),
        "emulated": emulated(machine or os.uname().machine, read),
    }


def main():
    module = AnsibleModule(
        argument_spec={"sysctl_keys": {"type": "list", "elements": "str", "default": []}},
        supports_check_mode=True,
    )
    facts = gather(module.params["sysctl_keys"])
    module.exit_json(changed=False, ansible_facts={"dozen_capabilities": facts})


if __name__ == "__main__":
    main()
