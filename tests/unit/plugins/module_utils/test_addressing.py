"""Site address planning with netaddr."""

import pytest
from ansible_collections.dozencloud.cloud.plugins.module_utils import addressing as net


@pytest.mark.parametrize(
    ("cidr", "index", "address"),
    [
        ("198.18.0.0/24", 1, "198.18.0.1"),
        ("198.18.0.0/24", 254, "198.18.0.254"),
        ("198.18.0.0/24", -2, "198.18.0.254"),
        ("198.18.0.0/24", "10", "198.18.0.10"),
        ("198.18.0.0/31", 0, "198.18.0.0"),
        ("2001:db8::/64", 0, "2001:db8::"),
        ("2001:db8::/64", 16, "2001:db8::10"),
    ],
)
def test_host_address(cidr, index, address):
    assert net.host_address(cidr, index) == address


@pytest.mark.parametrize(
    ("cidr", "index", "message"),
    [
        ("198.18.0.0/24", 0, r"host index 0 is the network address of 198.18.0.0/24"),
        ("198.18.0.0/24", 255, r"host index 255 is the broadcast address"),
        ("198.18.0.0/24", -1, r"host index -1 is the broadcast address"),
        ("198.18.0.0/24", 256, r"host index 256 is outside 198.18.0.0/24 \(256 addresses\)"),
        ("198.18.0.0/24", -257, r"host index -257 is outside"),
        ("198.18.0.0/24", "ten", r"host index 'ten' for 198.18.0.0/24 is not an integer"),
        ("198.18.0.0/24", True, r"host index True for 198.18.0.0/24 is not an integer"),
        ("198.18.0.7/24", 1, r"'198.18.0.7/24' has host bits set; the network is 198.18.0.0/24"),
        ("198.18.0.0", 1, r"'198.18.0.0' has no prefix length"),
        ("not-a-net/24", 1, r"'not-a-net/24' is not a network in CIDR form"),
    ],
)
def test_host_address_errors_name_the_value(cidr, index, message):
    with pytest.raises(net.AddressError, match=message):
        net.host_address(cidr, index)


def test_overlaps():
    networks = {
        "provider": "198.18.0.0/16",
        "management": "198.18.4.0/24",
        "storage": "198.19.0.0/24",
        "tunnel": "198.19.0.128/25",
        "v6": "2001:db8::/64",
    }
    assert net.overlapping_networks(networks) == [
        ["management", "provider"],
        ["storage", "tunnel"],
    ]


def test_overlap_errors_name_the_network():
    with pytest.raises(net.AddressError, match=r"network storage: '198.19.0.1/24' has host bits"):
        net.overlapping_networks({"storage": "198.19.0.1/24"})
    with pytest.raises(net.AddressError, match=r"are not a mapping of name to CIDR"):
        net.overlapping_networks(["198.18.0.0/24"])


@pytest.mark.parametrize(
    ("cidr", "address", "inside"),
    [
        ("198.18.0.0/24", "198.18.0.250", True),
        ("198.18.0.0/24", "198.18.1.250", False),
        ("198.18.0.0/24", "198.18.0.250/24", True),
        ("2001:db8::/64", "2001:db8::1", True),
        ("198.18.0.0/24", "2001:db8::1", False),
    ],
)
def test_contains(cidr, address, inside):
    assert net.network_contains(cidr, address) is inside


def test_contains_errors_name_the_value():
    with pytest.raises(net.AddressError, match=r"'198.18.0.300' is not an IP address"):
        net.network_contains("198.18.0.0/24", "198.18.0.300")


def test_duplicates():
    plan = {
        "ctl1": ["198.18.0.11", "2001:db8::11"],
        "ctl2": ["198.18.0.12/24", "2001:db8:0::11"],
        "cmp1": "198.18.0.12",
        "cmp2": ["198.18.0.21", "198.18.0.21"],
        "cmp3": [],
    }
    assert net.duplicate_addresses(plan) == [
        {"address": "198.18.0.12", "hosts": ["cmp1", "ctl2"]},
        {"address": "198.18.0.21", "hosts": ["cmp2", "cmp2"]},
        {"address": "2001:db8::11", "hosts": ["ctl1", "ctl2"]},
    ]


def test_duplicate_errors_name_host_and_value():
    with pytest.raises(net.AddressError, match=r"host cmp1: 'x' is not an IP address"):
        net.duplicate_addresses({"cmp1": ["x"]})
    with pytest.raises(net.AddressError, match=r"is not a mapping of host to addresses"):
        net.duplicate_addresses(["198.18.0.1"])


@pytest.mark.parametrize(
    ("cidr", "address", "reserved"),
    [
        ("198.18.0.0/24", "198.18.0.0", "network address"),
        ("198.18.0.0/24", "198.18.0.255", "broadcast address"),
        ("198.18.0.0/24", "198.18.0.1", ""),
        ("198.18.0.0/24", "198.18.0.254", ""),
        ("198.18.0.0/24", "198.18.1.0", ""),
        ("198.18.0.0/31", "198.18.0.0", ""),
        ("198.18.0.0/31", "198.18.0.1", ""),
        ("198.18.0.7/32", "198.18.0.7", ""),
        ("2001:db8::/64", "2001:db8::", "subnet-router anycast address"),
        ("2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff", ""),
        ("2001:db8::/127", "2001:db8::", ""),
    ],
)
def test_reserved(cidr, address, reserved):
    assert net.reserved_address(cidr, address) == reserved
