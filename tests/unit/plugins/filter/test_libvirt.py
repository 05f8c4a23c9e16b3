"""libvirt_domain: what verify reads from virsh dumpxml."""

from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.dozencloud.cloud.plugins.filter.libvirt import libvirt_domain

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "libvirt"


def test_nova_aarch64_uefi_domain():
    info = libvirt_domain((FIXTURES / "nova26-aarch64-uefi.xml").read_text())
    assert info == {
        "name": "instance-00000001",
        "uuid": "3b1e8a52-6f0c-4d3e-9a57-2c1f4b9e7d10",
        "domain_type": "qemu",
        "arch": "aarch64",
        "machine": "virt-7.2",
        "os_firmware": None,
        "loader": "/usr/share/AAVMF/AAVMF_CODE.fd",
        "loader_type": "pflash",
        "loader_readonly": "yes",
        "nvram": "/var/lib/libvirt/qemu/nvram/instance-00000001_VARS.fd",
        "nvram_template": "/usr/share/AAVMF/AAVMF_VARS.fd",
        "console_logs": [
            "/var/lib/nova/instances/3b1e8a52-6f0c-4d3e-9a57-2c1f4b9e7d10/console.log"
        ],
        "port_ids": ["5c2d9e1a-7b3f-4a6c-9e8d-1f2a3b4c5d6e"],
        "cdroms": [],
    }


def test_recorded_nova_domain_with_a_config_drive():
    """virsh dumpxml of verify's server on the arm64 lab compute (PROVENANCE.md)."""
    info = libvirt_domain((FIXTURES / "nova26-aarch64-uefi-configdrive.xml").read_text())
    instance = "/var/lib/nova/instances/e0f72751-6138-4e10-a590-e7853f4385cb"
    assert (info["arch"], info["machine"], info["domain_type"]) == ("aarch64", "virt-7.2", "qemu")
    assert (info["loader"], info["loader_type"]) == ("/usr/share/AAVMF/AAVMF_CODE.fd", "pflash")
    assert info["nvram"] == "/var/lib/libvirt/qemu/nvram/instance-00000002_VARS.fd"
    assert info["nvram_template"] == "/usr/share/AAVMF/AAVMF_VARS.fd"
    assert info["console_logs"] == [f"{instance}/console.log"]
    assert info["cdroms"] == [
        {
            "source": f"{instance}/disk.config",
            "bus": "scsi",
            "dev": "sda",
            "scsi_model": "virtio-scsi",
        }
    ]
    # The lab's userspace datapath: an ethernet (tap) interface, no virtualport.
    assert info["port_ids"] == []


def test_bios_domain_has_no_firmware_fields():
    info = libvirt_domain(
        "<domain type='kvm'><name>i-2</name><os><type arch='x86_64' machine='pc'>hvm</type>"
        "</os><devices/></domain>"
    )
    assert info["loader"] is info["loader_type"] is info["nvram"] is None
    assert info["arch"] == "x86_64"
    assert info["console_logs"] == info["port_ids"] == info["cdroms"] == []


def test_cdroms_and_their_scsi_controllers():
    info = libvirt_domain(
        "<domain type='qemu'><name>i-3</name><os><type arch='aarch64' machine='virt'>hvm</type>"
        "</os><devices>"
        "<controller type='scsi' index='0' model='lsilogic'/>"
        "<controller type='scsi' index='1' model='virtio-scsi'/>"
        "<disk type='file' device='disk'><source file='/i/disk'/><target dev='vda' bus='virtio'/>"
        "</disk>"
        "<disk type='file' device='cdrom'><source file='/i/disk.config'/>"
        "<target dev='sda' bus='scsi'/><address type='drive' controller='1' bus='0' unit='0'/>"
        "</disk>"
        "<disk type='file' device='cdrom'><source file='/i/other.iso'/>"
        "<target dev='sdb' bus='scsi'/></disk>"
        "<disk type='file' device='cdrom'><target dev='hda' bus='ide'/></disk>"
        "</devices></domain>"
    )
    assert info["cdroms"] == [
        {"source": "/i/disk.config", "bus": "scsi", "dev": "sda", "scsi_model": "virtio-scsi"},
        # No address: libvirt's first SCSI controller.
        {"source": "/i/other.iso", "bus": "scsi", "dev": "sdb", "scsi_model": "lsilogic"},
        {"source": None, "bus": "ide", "dev": "hda", "scsi_model": None},
    ]


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("", "no domain XML given"),
        (None, "no domain XML given"),
        ("<domain>", "not XML"),
        ("<network><name>x</name></network>", "the root element is <network>, not <domain>"),
    ],
)
def test_errors_name_the_problem(xml, message):
    with pytest.raises(AnsibleFilterError, match=f"libvirt_domain: {message}"):
        libvirt_domain(xml)
