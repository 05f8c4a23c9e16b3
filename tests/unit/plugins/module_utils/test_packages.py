"""When apt_packages may answer from dpkg instead of apt."""

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils.packages import (
    absent,
    fast_path_names,
    installed,
)

# dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\n' keystone haproxy nova-compute-kvm on
# the aio lab controller, 2026-12-04: nova-compute-kvm is unknown there, so it has no line.
LAB = "haproxy\tii \nkeystone\tii \n"
# Other states, written by hand after dpkg-query(1)'s Status-Abbrev.
DPKG = LAB + "qemu-system-x86\trc \nlibfoo\tiU \n"


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ({"name": ["keystone", "haproxy"], "state": "present"}, ["keystone", "haproxy"]),
        ({"name": "keystone,haproxy"}, ["keystone", "haproxy"]),
        (
            {"name": ["nova-compute"], "install_recommends": False, "lock_timeout": 600},
            ["nova-compute"],
        ),
        ({"pkg": ["libvirt-clients:arm64"]}, ["libvirt-clients:arm64"]),
        ({"name": ["keystone=2:22.0.2-1"]}, []),
        ({"name": ["python3-*"]}, []),
        ({"name": ["keystone"], "state": "latest"}, []),
        ({"name": ["qemu-system-x86"], "state": "absent"}, ["qemu-system-x86"]),
        ({"name": ["keystone"], "state": "absent", "purge": True}, []),
        ({"name": ["keystone"], "update_cache": True}, []),
        ({"deb": "/var/lib/dozencloud/packages/x.deb"}, []),
        ({"upgrade": "dist"}, []),
        ({"name": []}, []),
        ({"name": ["keystone"], "autoremove": True}, []),
    ],
)
def test_only_plain_names_to_be_present_take_the_fast_path(args, names):
    assert fast_path_names(args) == names


def test_installed_means_ii_or_hi_for_every_name():
    assert installed(["keystone", "haproxy"], DPKG)
    assert installed(["keystone"], "keystone\thi \n")
    assert not installed(["keystone", "nova-compute-kvm"], DPKG)
    assert not installed(["qemu-system-x86"], DPKG)  # removed, configuration left
    assert not installed(["libfoo"], DPKG)  # unpacked, not configured
    assert not installed(["keystone"], "keystone\tiiR\n")  # reinstall required
    assert not installed(["absent-package"], DPKG)
    assert installed(["haproxy:amd64"], DPKG)


def test_absent_means_not_installed_or_only_configuration_left():
    assert absent(["nova-compute-kvm", "qemu-system-x86"], DPKG)
    assert not absent(["nova-compute-kvm", "keystone"], DPKG)
    assert not absent(["libfoo"], DPKG)  # unpacked: apt remove would remove it
