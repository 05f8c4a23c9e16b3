"""Huge page arithmetic (kernel Documentation/arm64/hugetlbpage.rst) and nova requests."""

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils import hugepages as hp


@pytest.mark.parametrize(
    ("page_size", "arch", "sizes"),
    [
        (4096, "aarch64", [64, 2048, 32768, 1048576]),
        (16384, "aarch64", [2048, 32768, 1048576]),
        (65536, "aarch64", [2048, 524288, 16777216]),
        (4096, "x86_64", [2048, 1048576]),
        (4096, "armv7l", [2048]),
        ("65536", "aarch64", [2048, 524288, 16777216]),
    ],
)
def test_sizes_per_page_size(page_size, arch, sizes):
    assert hp.hugepage_sizes_kb(page_size, arch) == sizes


@pytest.mark.parametrize(
    ("page_size", "arch", "message"),
    [
        (8192, "aarch64", r"no huge page sizes known for architecture 'aarch64' with 8192"),
        (16384, "x86_64", r"'x86_64' with 16384-byte pages"),
        ("4k", "aarch64", r"page size '4k' is not a number of bytes"),
    ],
)
def test_unknown_combinations_are_refused(page_size, arch, message):
    with pytest.raises(ValueError, match=message):
        hp.hugepage_sizes_kb(page_size, arch)


def test_possible_sizes_follow_cpu_features():
    assert hp.possible_hugepage_sizes_kb("x86_64", 4096, ["pdpe1gb"]) == [2048, 1048576]
    assert hp.possible_hugepage_sizes_kb("x86_64", 4096, []) == [2048]
    assert hp.possible_hugepage_sizes_kb("armv7l", 4096, ["lpae"]) == [2048]
    assert hp.possible_hugepage_sizes_kb("armv7l", 4096, ["neon"]) == []
    assert hp.possible_hugepage_sizes_kb("riscv64", 4096) == []


def test_sysfs_names():
    entries = ["hugepages-2048kB", "hugepages-1048576kB", "demote", "hugepages-x"]
    assert hp.sysfs_hugepage_sizes_kb(entries) == [2048, 1048576]
    assert hp.sysfs_hugepage_sizes_kb(None) == []


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("small", "small"),
        ("large", "large"),
        ("any", "any"),
        ("2048", 2048),
        (2048, 2048),
        ("2MB", 2048),
        ("2MiB", 2048),
        ("1GB", 1048576),
        ("64KB", 64),
        ("16GiB", 16777216),
    ],
)
def test_nova_page_size_grammar(value, parsed):
    assert hp.parse_mem_page_size(value) == parsed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2M", r"'2M' is not small, large, any"),
        ("2 MB", r"'2 MB' is not small"),
        ("0.5GB", r"'0.5GB' is not small"),
        ("2Mb", r"'2Mb' is not small"),
        ("huge", r"'huge' is not small"),
        (0, r"0 is not a positive size"),
        (True, r"True is a boolean"),
        (2.0, r"2.0 is not a string or an integer"),
    ],
)
def test_malformed_page_sizes_are_named(value, message):
    with pytest.raises(ValueError, match=message):
        hp.parse_mem_page_size(value)


HOST_64K = {
    "page_size": 65536,
    "hugepages": {"available_kb": [], "possible_kb": [2048, 524288, 16777216]},
}
HOST_4K_LISTED = {
    "page_size": 4096,
    "hugepages": {"available_kb": [2048], "possible_kb": [64, 2048, 32768, 1048576]},
}
HOST_NO_HUGE = {"page_size": 4096, "hugepages": {"available_kb": [], "possible_kb": []}}


@pytest.mark.parametrize(
    ("value", "host", "ok"),
    [
        ("1GB", HOST_64K, False),
        ("512MB", HOST_64K, True),
        ("64", HOST_64K, True),
        ("4KB", HOST_64K, False),
        ("small", HOST_NO_HUGE, True),
        ("any", HOST_NO_HUGE, True),
        ("large", HOST_NO_HUGE, False),
        ("large", HOST_64K, True),
        ("1GB", HOST_4K_LISTED, False),
        ("2MB", HOST_4K_LISTED, True),
    ],
)
def test_page_size_against_host(value, host, ok):
    assert hp.check_mem_page_size(value, host)[0] is ok


def test_refusal_reason_names_value_and_offer():
    ok, reason = hp.check_mem_page_size("1GB", HOST_64K)
    assert not ok
    assert "'1GB' (1048576 KiB) is not a page size of this host" in reason
    assert "base page 64 KiB, huge pages [2048, 524288, 16777216] KiB" in reason


def test_host_without_page_size_is_refused():
    with pytest.raises(ValueError, match=r"carry no page_size"):
        hp.check_mem_page_size("small", {"hugepages": {}})


@pytest.mark.parametrize(
    ("sizes", "names"),
    [
        (
            [64, 2048, 32768, 1048576],
            ["hugepages-64Ki", "hugepages-2Mi", "hugepages-32Mi", "hugepages-1Gi"],
        ),
        ([2048, 524288, 16777216], ["hugepages-2Mi", "hugepages-512Mi", "hugepages-16Gi"]),
        ([3], ["hugepages-3Ki"]),
        ([], []),
    ],
)
def test_kubelet_resource_names(sizes, names):
    assert hp.kubelet_hugepage_resources(sizes) == names


@pytest.mark.parametrize("size", [0, -2048, "2048", True, 2.5])
def test_kubelet_refuses_non_sizes(size):
    with pytest.raises(ValueError, match=r"is not a positive number of KiB"):
        hp.kubelet_hugepage_resources([size])
