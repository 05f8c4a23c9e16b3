# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Site address planning on the controller (needs netaddr, not on lab hosts)."""

from itertools import combinations

import netaddr


class AddressError(ValueError):
    """A network or address in the site plan is malformed or out of range."""


def parse_network(cidr):
    """A netaddr.IPNetwork for a network in CIDR form with no host bits set."""
    text = str(cidr).strip()
    try:
        network = netaddr.IPNetwork(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise AddressError(
            f"{cidr!r} is not a network in CIDR form such as 198.18.0.0/24"
        ) from None
    if "/" not in text:
        raise AddressError(f"{cidr!r} has no prefix length, such as {text}/24")
    if network.ip != network.network:
        raise AddressError(f"{cidr!r} has host bits set; the network is {network.cidr}")
    return network


def parse_address(address):
    """A netaddr.IPAddress; a prefix length after the address is ignored."""
    text = str(address).strip().split("/", 1)[0]
    try:
        return netaddr.IPAddress(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise AddressError(f"{address!r} is not an IP address") from None


def host_address(cidr, index):
    """The index-th address of a network (negative counts from the end).

    Refuses the network and broadcast addresses of IPv4 networks larger than
    /31 and indexes outside the network.
    """
    network = parse_network(cidr)
    if isinstance(index, bool) or not isinstance(index, int):
        try:
            index = int(str(index))
        except ValueError:
            raise AddressError(f"host index {index!r} for {cidr} is not an integer") from None
    size = network.size
    position = index if index >= 0 else size + index
    if not 0 <= position < size:
        raise AddressError(f"host index {index} is outside {network} ({size} addresses)")
    reserved = network.version == 4 and network.prefixlen < 31
    if reserved and position in (0, size - 1):
        what = "network" if position == 0 else "broadcast"
        raise AddressError(f"host index {index} is the {what} address of {network}")
    return str(network[position])


def overlapping_networks(networks):
    """Pairs of names whose networks overlap, ``[[a, b], ...]`` sorted."""
    if not isinstance(networks, dict):
        raise AddressError(f"networks {networks!r} are not a mapping of name to CIDR")
    parsed = {}
    for name, cidr in networks.items():
        try:
            parsed[name] = netaddr.IPSet([parse_network(cidr)])
        except AddressError as exc:
            raise AddressError(f"network {name}: {exc}") from None
    pairs = []
    for first, second in combinations(sorted(parsed), 2):
        if not parsed[first].isdisjoint(parsed[second]):
            pairs.append([first, second])
    return pairs


def network_contains(cidr, address):
    """Whether an address (a VIP, say) lies inside a network."""
    return parse_address(address) in parse_network(cidr)


def reserved_address(cidr, address):
    """What an address inside a network is reserved for, or "" if a host may have it.

    IPv4 networks larger than /31 reserve their first (network) and last
    (broadcast) addresses; /31 (RFC 3021) and /32 reserve none. IPv6 networks
    reserve their first address, the subnet-router anycast (RFC 4291 2.6.1),
    except /127 (RFC 6164) and /128.
    """
    network = parse_network(cidr)
    ip = parse_address(address)
    if ip not in network:
        return ""
    if network.version == 4:
        if network.prefixlen >= 31:
            return ""
        if ip == network.network:
            return "network address"
        if ip == network.broadcast:
            return "broadcast address"
        return ""
    if network.prefixlen < 127 and ip == network.network:
        return "subnet-router anycast address"
    return ""


def duplicate_addresses(addresses_by_host):
    """Addresses given to more than one host: ``[{address, hosts}]`` sorted.

    Addresses are compared as addresses, so '2001:db8::1' and
    '2001:db8:0::1' are the same, and a prefix length is ignored. An address
    listed twice for one host is a duplicate too.
    """
    if not isinstance(addresses_by_host, dict):
        raise AddressError(f"{addresses_by_host!r} is not a mapping of host to addresses")
    owners = {}
    for host, addresses in addresses_by_host.items():
        if isinstance(addresses, str):
            addresses = [addresses]
        for address in addresses or ():
            try:
                parsed = parse_address(address)
            except AddressError as exc:
                raise AddressError(f"host {host}: {exc}") from None
            owners.setdefault(parsed, []).append(host)
    return [
        {"address": str(address), "hosts": sorted(hosts)}
        for address, hosts in sorted(owners.items())
        if len(hosts) > 1
    ]
