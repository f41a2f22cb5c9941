"""The private-host filter (scanner/hosts.py) and the pinned connection (scanner/imap_connect.py):
a host is resolved once, every address checked, and the connection goes to that very address."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from models.enums import ImapSecurity
from scanner.hosts import PrivateHostError, checked_addresses, is_public
from scanner.imap import ImapError, ImapLogin, ImapSession

REFUSED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.0.10",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fd00::1",
    "fe80::1",
    "fec0::1",  # site-local
    "ff02::1",  # multicast
    "::127.0.0.1",  # IPv4-compatible
    "::8.8.8.8",  # IPv4-compatible, deprecated whatever it embeds
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:808:808::1",  # 6to4, deprecated
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",  # documentation
    "3fff::1",  # documentation (RFC 9637)
    "5f00::1",  # SRv6 SIDs
]
ACCEPTED = ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    with pytest.raises(PrivateHostError, match="non-public"):
        checked_addresses(address, 993, allow_private=False)


@pytest.mark.parametrize("address", ACCEPTED)
def test_public_addresses_pass(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))
    assert checked_addresses(address, 993, allow_private=False) == [address]


class Rebinding:
    """A resolver we control (DNS is the outside world): `host` answers `first` once, then
    `later`; every other name resolves as usual."""

    def __init__(self, host: str, first: str, later: str) -> None:
        self.host, self.answers, self.later = host, [first], later
        self.asked = 0
        self._real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != self.host:
            return self._real(host, port, *args, **kwargs)
        self.asked += 1
        address = self.answers.pop(0) if self.answers else self.later
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]


def test_the_connection_goes_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """Public at the check, 127.0.0.1 afterwards: the connect still goes to the public address
    that passed the check (refused here, so nothing leaves the machine), never to 127.0.0.1."""
    monkeypatch.setattr(
        socket, "getaddrinfo", Rebinding("mail.rebind.test", "8.8.8.8", "127.0.0.1")
    )
    connected: list[Any] = []

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address[0])
        raise ConnectionRefusedError("refused in the test")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    login = ImapLogin(
        host="mail.rebind.test", port=143, security=ImapSecurity.NONE, username="u", password="p"
    )
    with pytest.raises(ImapError, match="connection refused"), ImapSession(login):
        pass
    assert connected == ["8.8.8.8"]


def test_the_pin_holds_when_private_hosts_are_allowed(
    monkeypatch: pytest.MonkeyPatch, dovecot: Any
) -> None:
    """With IMAP_ALLOW_PRIVATE_HOSTS the name is still resolved once: the first answer (the
    test Dovecot) is where the login goes, though the name answers an unroutable address after."""
    dovecot.add_user("pinned@example.com", "pinned-pw")
    resolver = Rebinding("imap.pinned.test", "127.0.0.1", "192.0.2.1")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    login = ImapLogin(
        host="imap.pinned.test",
        port=dovecot.port,
        security=ImapSecurity.NONE,
        username="pinned@example.com",
        password="pinned-pw",
        timeout=3.0,
        allow_private_hosts=True,
    )
    with ImapSession(login) as session:
        assert session.select("INBOX") > 0
    assert resolver.asked == 1


def test_every_checked_address_is_tried_in_turn(
    monkeypatch: pytest.MonkeyPatch, dovecot: Any
) -> None:
    """A name with two addresses, the first refusing (an IPv6 route missing, one A record
    down): the session connects to the second, as connecting by name would, and to nothing
    the name did not answer at the check."""
    dovecot.add_user("twice@example.com", "twice-pw")
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "imap.twice.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
            for address in ("198.51.100.7", "127.0.0.1")
        ]

    connected: list[str] = []

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address[0])
        if address[0] == "198.51.100.7":
            raise ConnectionRefusedError("refused in the test")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    login = ImapLogin(
        host="imap.twice.test",
        port=dovecot.port,
        security=ImapSecurity.NONE,
        username="twice@example.com",
        password="twice-pw",
        timeout=3.0,
        allow_private_hosts=True,
    )
    with ImapSession(login) as session:
        assert session.select("INBOX") >= 0
    assert connected == ["198.51.100.7", "127.0.0.1"]
