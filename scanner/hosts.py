"""Refuse IMAP hosts that point into our own network (SSRF through a user-supplied host).

A host is resolved once; every address it resolves to is checked, and the connection then goes to
one of those very addresses (scanner/imap_connect.py), so a name that answers a public address at
the check and 127.0.0.1 at the connect (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
import tomllib
from functools import cache
from pathlib import Path

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
type IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NON_GLOBAL_FILE = Path(__file__).with_name("non_global_networks.toml")
# NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address reached.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class PrivateHostError(ValueError):
    """The host resolves to an address that is not on the public internet."""


@cache
def _extra_non_global() -> tuple[IPNetwork, ...]:
    data = tomllib.loads(_NON_GLOBAL_FILE.read_text(encoding="utf-8"))
    return tuple(ipaddress.ip_network(entry["cidr"]) for entry in data["network"])


def is_public(ip: IPAddress) -> bool:
    """True for an address on the public internet: `is_global` (Python's table of special
    ranges), not multicast, not in the extra ranges of non_global_networks.toml, and, for an
    IPv6 form that carries an IPv4 address (IPv4-mapped, NAT64), that IPv4 address public too."""
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return True
    if any(ip in network for network in _extra_non_global()):
        return False
    if ip.ipv4_mapped is not None:
        return is_public(ip.ipv4_mapped)
    if ip in _NAT64:
        return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return True


def resolve_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order, each once; raises OSError when
    it does not resolve (UnicodeError for a name IDNA cannot encode)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Resolve `host` once and return its addresses; unless `allow_private`, raise
    PrivateHostError when any of them is not public. Connect only to an address returned here."""
    addresses = resolve_addresses(host, port)
    if not allow_private:
        for address in addresses:
            # A scoped IPv6 address ("fe80::1%eth0") carries its interface after "%".
            if not is_public(ipaddress.ip_address(address.split("%", 1)[0])):
                # The address itself is not named: it would tell what internal names resolve to.
                raise PrivateHostError(f"{host} resolves to a non-public address")
    return addresses
