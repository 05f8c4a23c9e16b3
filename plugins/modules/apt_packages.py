#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)

DOCUMENTATION = r"""
---
module: apt_packages
short_description: ansible.builtin.apt, without apt when dpkg already says nothing is to be done
version_added: 0.1.0
description:
  - Takes the arguments of M(ansible.builtin.apt) and passes them to it unchanged, with one
    exception. When the task only asks for plain package names to be present (or absent), and
    dpkg already has every one of them installed (or none), it answers from one C(dpkg-query) and
    does not start apt.
  - The apt module opens apt's whole package cache before it can say that nothing is to be done.
    That takes about half a second on an amd64 host and several seconds on an emulated arm64
    one, for every such task on every run. The fast path takes milliseconds.
  - The fast path applies only when the arguments are names, C(state=present) or C(absent), and
    options that do not change what apt would do with them (C(install_recommends),
    C(lock_timeout), C(dpkg_options), ...). Versions, wildcards, C(deb), C(update_cache),
    upgrades, purges, C(autoremove) and async tasks always go to apt.
  - A package counts as installed when dpkg's status is C(ii) or C(hi) with no error flag, and
    as absent when dpkg does not know it or has only its configuration (C(rc)), which apt remove
    without purge leaves. Anything else, such as a half-installed package, goes to apt.
  - This is an action plugin; the module file only documents it.
author:
  - DozenCloud developers
options:
  name:
    description: Package names, as for M(ansible.builtin.apt).
    type: list
    elements: str
    aliases: [package, pkg]
  state:
    description: As for M(ansible.builtin.apt); C(present) and C(absent) take the fast path.
    type: str
    default: present
extends_documentation_fragment: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - Every other option of M(ansible.builtin.apt) is accepted and passed on.
seealso:
  - module: ansible.builtin.apt
"""

EXAMPLES = r"""
- name: Install keystone
  dozencloud.cloud.apt_packages:
    name: [keystone, python3-keystoneclient]
    state: present
    install_recommends: false
  environment:
    DEBIAN_FRONTEND: noninteractive
"""

RETURN = r"""
msg:
  description: On the fast path, that dpkg already has the packages, or none of them.
  returned: when dpkg already said nothing was to be done
  type: str
  sample: "already installed (dpkg): keystone, python3-keystoneclient"
packages:
  description: On the fast path, the names dpkg was asked about.
  returned: when dpkg already said nothing was to be done
  type: list
  elements: str
"""
