"""Refuse IMAP hosts that point into our own network (SSRF through a user-supplied host)."""

from __future__ import annotations

import ipaddress
import socket


class PrivateHostError(ValueError):
    """The host resolves to an address that is not on the public internet."""


def resolve_addresses(host: str, port: int) -> set[str]:
    """Every address `host` resolves to; raises OSError when it does not resolve."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return {str(info[4][0]) for info in infos}


def ensure_public_host(host: str, port: int) -> None:
    """Raise PrivateHostError if any address of `host` is loopback, private, link-local or
    otherwise not globally routable; a host that does not resolve raises OSError."""
    for address in resolve_addresses(host, port):
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise PrivateHostError(f"{host} resolves to a non-public address ({ip})")
