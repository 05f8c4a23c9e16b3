"""Filter wrappers: results pass through, every error is an AnsibleFilterError."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.dozencloud.cloud.plugins.filter import (
    arch,
    config,
    firmware,
    glance,
    hugepages,
    inventory,
    libvirt,
    net,
    tempest,
)

FILTERS = {}
for plugin in (arch, config, firmware, glance, hugepages, inventory, libvirt, net, tempest):
    FILTERS.update(plugin.FilterModule().filters())

HOST_64K = {
    "page_size": 65536,
    "hugepages": {"available_kb": [2048, 524288, 16777216], "possible_kb": []},
}


def test_all_documented_filters_are_exported():
    assert set(FILTERS) == {
        "arch_alias",
        "arch_known",
        "firmware_package",
        "firmware_select",
        "glance_image_properties",
        "glance_image_lint",
        "glance_image_drift",
        "hugepage_sizes_kb",
        "nova_mem_page_size_check",
        "nova_mem_page_size_valid",
        "kubelet_hugepage_resources",
        "libvirt_domain",
        "net_host_address",
        "net_overlaps",
        "net_contains",
        "net_duplicate_addresses",
        "net_reserved",
        "inventory_group_problems",
        "primary_controller_problems",
        "tempest_config",
        "tempest_test_lists",
        "to_ini",
    }


@pytest.mark.parametrize(
    ("name", "args", "result"),
    [
        ("arch_alias", ("aarch64", "dpkg"), "arm64"),
        ("arch_alias", ("arm64",), "aarch64"),
        ("arch_alias", ("amd64", "oci_variant"), None),
        ("arch_known", ("armhf",), True),
        ("arch_known", ("mips",), False),
        ("hugepage_sizes_kb", (65536, "arm64"), [2048, 524288, 16777216]),
        ("nova_mem_page_size_check", ("512MB", HOST_64K), True),
        ("nova_mem_page_size_valid", ("512MB", HOST_64K), True),
        ("nova_mem_page_size_valid", ("1GB", HOST_64K), False),
        ("nova_mem_page_size_valid", ("2M", HOST_64K), False),
        ("kubelet_hugepage_resources", ([2048, 524288],), ["hugepages-2Mi", "hugepages-512Mi"]),
        ("net_host_address", ("198.18.0.0/24", 5), "198.18.0.5"),
        ("net_overlaps", ({"a": "198.18.0.0/24", "b": "198.18.0.0/25"},), [["a", "b"]]),
        ("net_contains", ("198.18.0.0/24", "198.18.0.9"), True),
        (
            "net_duplicate_addresses",
            ({"h1": ["198.18.0.9"], "h2": ["198.18.0.9"]},),
            [{"address": "198.18.0.9", "hosts": ["h1", "h2"]}],
        ),
        ("glance_image_lint", ({"hw_architecture": "x86_64"},), []),
        (
            "tempest_test_lists",
            (
                {"p": {"include": ["a"], "exclude": [{"regex": "b", "reason": "why"}]}},
                "p",
                None,
                [{"regex": "c", "reason": "site"}],
            ),
            {
                "include": ["a"],
                "exclude": [{"regex": "b", "reason": "why"}, {"regex": "c", "reason": "site"}],
                "include_file": "a\n",
                "exclude_file": "b  # why\nc  # site\n",
            },
        ),
    ],
)
def test_results(name, args, result):
    assert FILTERS[name](*args) == result


def test_glance_image_properties_result():
    assert (
        FILTERS["glance_image_properties"]({"architecture": "aarch64"})["hw_video_model"]
        == "virtio"
    )


def test_firmware_select_result(debian12_directories):
    from ansible_collections.dozencloud.cloud.plugins.module_utils.firmware import load_descriptors

    descriptors, _ = load_descriptors(debian12_directories)
    choice = FILTERS["firmware_select"](descriptors, "arm64", "virt", "uefi", [], ["secure-boot"])
    assert choice["loader"] == "/usr/share/AAVMF/AAVMF_CODE.fd"


def test_firmware_select_nvram_required(debian_sid_directories):
    from ansible_collections.dozencloud.cloud.plugins.module_utils.firmware import load_descriptors

    descriptors, _ = load_descriptors(debian_sid_directories)
    select = FILTERS["firmware_select"]
    args = (descriptors, "x86_64", "q35", "uefi", [], ["secure-boot"])
    assert select(*args)["device"] == "memory"
    assert select(*args, None, True)["loader"] == "/usr/share/OVMF/OVMF_CODE_4M.fd"


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("arch_alias", ("sparc", "dpkg"), r"^arch_alias: unknown architecture 'sparc'"),
        ("arch_alias", ("arm64", "deb"), r"^arch_alias: unknown architecture naming scheme 'deb'"),
        (
            "firmware_select",
            ([], "aarch64", "virt"),
            r"^firmware_select: no QEMU firmware .*qemu-efi-aarch64",
        ),
        ("firmware_select", ([], "vax", "virt"), r"^firmware_select: unknown architecture 'vax'"),
        (
            "glance_image_properties",
            ({"architecture": "aarch64", "firmware": "bios"},),
            r"^glance_image_properties: firmware='bios' \(hw_firmware_type\)",
        ),
        (
            "glance_image_lint",
            ("hw_architecture=aarch64",),
            r"^glance_image_lint: image properties",
        ),
        ("hugepage_sizes_kb", (4096, "mips"), r"^hugepage_sizes_kb: unknown architecture 'mips'"),
        ("hugepage_sizes_kb", (8192, "aarch64"), r"^hugepage_sizes_kb: no huge page sizes .* 8192"),
        (
            "nova_mem_page_size_check",
            ("1GB", HOST_64K),
            r"^nova_mem_page_size_check: '1GB' \(1048576 KiB\) is not a page size of this host",
        ),
        (
            "nova_mem_page_size_check",
            ("2M", HOST_64K),
            r"^nova_mem_page_size_check: hw:mem_page_size '2M'",
        ),
        ("kubelet_hugepage_resources", ([0],), r"^kubelet_hugepage_resources: huge page size 0"),
        ("kubelet_hugepage_resources", (None,), r"^kubelet_hugepage_resources: "),
        (
            "net_host_address",
            ("198.18.0.0/24", 0),
            r"^net_host_address: host index 0 is the network",
        ),
        ("net_overlaps", ({"a": "x"},), r"^net_overlaps: network a: 'x' is not a network"),
        ("net_contains", ("198.18.0.0/24", "vip"), r"^net_contains: 'vip' is not an IP address"),
        (
            "tempest_test_lists",
            ({"p": {"include": ["a"]}}, "p", [], [{"regex": "b"}]),
            r"^tempest_test_lists: tempest exclude 'b' has no reason",
        ),
        (
            "tempest_config",
            ({"services": []}, {}),
            r"^tempest_config: tempest settings: auth, region, interface, image_ref",
        ),
        (
            "net_duplicate_addresses",
            ({"h": ["1.2.3"]},),
            r"^net_duplicate_addresses: host h: '1.2.3'",
        ),
    ],
)
def test_errors_are_filter_errors_naming_the_value(name, args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        FILTERS[name](*args)


@pytest.mark.parametrize(
    ("arch", "family", "package"),
    [
        ("arm64", "Debian", "qemu-efi-aarch64"),
        ("x86_64", "Debian", "ovmf"),
        ("aarch64", "RedHat", "edk2-aarch64"),
        ("armhf", "Debian", "qemu-efi-arm"),
    ],
)
def test_firmware_package(arch, family, package):
    assert FILTERS["firmware_package"](arch, family) == package


@pytest.mark.parametrize(("arch", "family"), [("armv7l", "Suse"), ("riscv64", "Debian")])
def test_firmware_package_unknown(arch, family):
    with pytest.raises(AnsibleFilterError, match=r"^firmware_package: no known package ships uefi"):
        FILTERS["firmware_package"](arch, family)
