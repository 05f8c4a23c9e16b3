#!/usr/bin/python
# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)

DOCUMENTATION = r"""
---
module: guest_image_build
short_description: Build DozenCloud's UEFI test guest image from Debian packages
version_added: 0.1.0
description:
  - Builds a small raw disk image (GPT, one EFI System Partition) that boots through UEFI
    firmware (AAVMF on aarch64, OVMF on x86_64) into a busybox initramfs.
  - The guest prints one line on its serial console,
    C(DOZENCLOUD-GUEST-MARKER arch=<uname -m> page_size=<bytes> kernel=<uname -r> firmware=uefi
    uefi_var=absent|present ...), and keeps a UEFI variable so a later boot with the same NVRAM
    reports C(uefi_var=present). Then it stays up.
  - The boot file C(EFI/BOOT/BOOTAA64.EFI) (C(BOOTX64.EFI)) is a unified kernel image made of
    systemd's EFI stub (systemd-boot-efi), Debian's cloud kernel, the initramfs and the kernel
    command line. It is assembled on the deploy host without emulation.
  - Packages come only from the Debian archive given, through apt with a private package state
    per architecture under I(cache_dir); the host's dpkg database and sources are untouched.
  - The image is cached under I(cache_dir) by a key hashed from the package versions and the
    recipe. An existing image of the same key is not rebuilt, so a second run reports no change.
    The same key gives the same bytes.
  - Needs on the deploy host apt-get, dpkg-deb, mkfs.vfat (dosfstools), mmd and mcopy (mtools)
    and sfdisk (fdisk).
author:
  - DozenCloud developers
options:
  architecture:
    description: Guest architecture, in any naming scheme (aarch64, arm64, x86_64, amd64).
    type: str
    required: true
  suite:
    description: Debian suite the packages come from.
    type: str
    default: bookworm
  mirror:
    description: Debian archive URL for I(suite) and I(suite)-updates.
    type: str
    default: http://deb.debian.org/debian
  security_mirror:
    description: Debian security archive URL for I(suite)-security; empty leaves it out.
    type: str
    default: http://deb.debian.org/debian-security
  proxy:
    description:
      - HTTP proxy apt uses, such as an apt-cacher-ng (C(http://host:3142)).
      - When omitted, the host's apt configuration applies.
    type: str
  cache_dir:
    description: Directory of the private apt state, the downloaded packages and the images.
    type: path
    default: ~/.cache/dozencloud/guest-images
  cache_valid_time:
    description:
      - Refresh the private package lists when they are older than this many seconds.
      - A refresh that finds a newer package gives a new key, hence a new image.
    type: int
    default: 86400
  dest:
    description: Also copy the image to this path (replaced only when its content differs).
    type: path
attributes:
  check_mode:
    support: full
    details: Resolves versions from the package lists already present; never downloads or builds.
  diff_mode:
    support: none
seealso:
  - name: systemd-stub, the UKI format
    description: The PE sections systemd-stub reads (.linux, .initrd, .cmdline, .osrel).
    link: https://www.freedesktop.org/software/systemd/man/systemd-stub.html
"""

EXAMPLES = r"""
- name: Build the aarch64 test image on the deploy host
  dozencloud.cloud.guest_image_build:
    architecture: aarch64
    proxy: http://198.18.0.1:3142
  delegate_to: localhost
  register: __glance_images_built

- name: Build the x86_64 test image next to the playbook
  dozencloud.cloud.guest_image_build:
    architecture: x86_64
    dest: "{{ playbook_dir }}/images/test-x86_64.raw"
"""

RETURN = r"""
path:
  description: The image in the cache (raw disk format).
  returned: success
  type: str
  sample: /root/.cache/dozencloud/guest-images/images/dozencloud-test-aarch64-bookworm-ad22568b758c9b6b.raw
dest:
  description: The copy at I(dest), when asked.
  returned: when dest is set
  type: str
key:
  description: Cache key, a hash of the recipe and the package versions.
  returned: success
  type: str
  sample: ad22568b758c9b6b
sha256:
  description: SHA-256 of the image.
  returned: success
  type: str
md5:
  description: MD5 of the image, which glance reports as the image checksum.
  returned: success
  type: str
size:
  description: Image size in bytes.
  returned: success
  type: int
  sample: 39845888
architecture:
  description: Canonical guest architecture (the glance hw_architecture value).
  returned: success
  type: str
  sample: aarch64
packages:
  description: The Debian packages and exact versions the image was built from.
  returned: success
  type: dict
  sample: {"busybox-static": "1:1.35.0-4+deb12u1+b1", "linux-image-6.1.0-56-cloud-arm64": "6.1.192-2"}
kernel_release:
  description: The guest kernel's uname -r.
  returned: when the image exists (not in check mode before a first build)
  type: str
  sample: 6.1.0-56-cloud-arm64
cmdline:
  description: The kernel command line built into the image.
  returned: success
  type: str
  sample: console=ttyAMA0 panic=30
marker:
  description: The first word of the guest's marker line.
  returned: success
  type: str
  sample: DOZENCLOUD-GUEST-MARKER
marker_regex:
  description: A regular expression matching the whole marker line.
  returned: success
  type: str
built:
  description: Whether this run built the image (false when the cache had it).
  returned: success
  type: bool
"""

import os
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dozencloud.cloud.plugins.module_utils.guest_image import (
    MARKER,
    MARKER_PATTERN,
    GuestImageBuilder,
    GuestImageError,
    file_digests,
    recipe_key,
)

ARGUMENT_SPEC = {
    "architecture": {"type": "str", "required": True},
    "suite": {"type": "str", "default": "bookworm"},
    "mirror": {"type": "str", "default": "http://deb.debian.org/debian"},
    "security_mirror": {"type": "str", "default": "http://deb.debian.org/debian-security"},
    "proxy": {"type": "str"},
    "cache_dir": {"type": "path", "default": "~/.cache/dozencloud/guest-images"},
    "cache_valid_time": {"type": "int", "default": 86400},
    "dest": {"type": "path"},
}


def runner(module):
    def run(argv, cwd=None, env=None, data=None):
        return module.run_command(argv, cwd=cwd, environ_update=env, data=data)

    return run


def copy_to(path, dest, sha256):
    """Copy the image to dest unless dest already has the same content."""
    if os.path.isfile(dest) and file_digests(dest)["sha256"] == sha256:
        return False
    parent = os.path.dirname(os.path.abspath(dest))
    os.makedirs(parent, exist_ok=True)
    partial = f"{dest}.partial"
    shutil.copyfile(path, partial)
    os.replace(partial, dest)
    return True


def build(module, builder):
    params = module.params
    age = builder.lists_age()
    stale = age is None or age > params["cache_valid_time"]
    if stale and module.check_mode:
        if age is None:
            return {"changed": True, "msg": "would refresh the package lists and build the image"}
    elif stale:
        builder.update()

    resolved = builder.resolve()
    spec = builder.recipe(resolved)
    path, _ = builder.paths(spec)
    result = {
        "changed": False,
        "built": False,
        "path": path,
        "key": recipe_key(spec),
        "architecture": spec["architecture"],
        "packages": spec["packages"],
        "cmdline": spec["cmdline"],
        "marker": MARKER,
        "marker_regex": MARKER_PATTERN.pattern,
    }
    manifest = builder.cached(spec)
    if manifest is None:
        result["changed"] = True
        if module.check_mode:
            return result
        manifest = builder.build(resolved)
        result["built"] = True
    result.update(
        sha256=manifest["sha256"],
        md5=manifest["md5"],
        size=manifest["size"],
        kernel_release=manifest["kernel_release"],
    )
    if params["dest"]:
        result["dest"] = params["dest"]
        if module.check_mode:
            same = os.path.isfile(params["dest"]) and (
                file_digests(params["dest"])["sha256"] == manifest["sha256"]
            )
            result["changed"] = result["changed"] or not same
        elif copy_to(path, params["dest"], manifest["sha256"]):
            result["changed"] = True
    return result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        builder = GuestImageBuilder(
            runner(module),
            params["architecture"],
            params["suite"],
            params["cache_dir"],
            params["mirror"],
            params["security_mirror"],
            params["proxy"],
        )
        result = build(module, builder)
    except (GuestImageError, OSError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
