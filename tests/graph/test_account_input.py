"""addEmailAccount's input: lengths capped before any parsing, linear address syntax, no line
breaks in anything that reaches an IMAP command line, and errors that never quote the server."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from core.auth import Principal, Role
from core.errors import BadInput
from graph.accounts import add_account
from graph.types import AddEmailAccountInput
from models.enums import ImapSecurity
from scanner.imap import ImapLogin, ImapSession
from tests.support.fake_imap import FakeImap


def account_input(**fields: Any) -> AddEmailAccountInput:
    values: dict[str, Any] = {
        "email": "p@example.com",
        "imap_host": "127.0.0.1",
        "imap_port": 1,
        "security": ImapSecurity.NONE,
        "password": "pw",
        "verify": False,
    }
    values.update(fields)
    return AddEmailAccountInput(**values)


async def refused_argument(data: AddEmailAccountInput) -> str:
    with pytest.raises(BadInput) as refused:
        await add_account(Principal(f"u{uuid.uuid4().hex[:8]}", Role.USER), data)
    return str(refused.value.extensions["argument"])


async def test_a_pathological_email_is_refused_at_once(database: object) -> None:
    """This address blocked the event loop 31 s in a backtracking regular expression."""
    started = time.monotonic()
    assert await refused_argument(account_input(email="a@" + "." * 64000 + "@")) == "email"
    assert await refused_argument(account_input(email="a" * 300 + "@example.com")) == "email"
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("fields", "argument"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@@example.com"}, "email"),
        ({"imap_host": "h" * 254}, "imapHost"),
        ({"username": "u" * 321}, "username"),
        ({"password": "p" * 1025}, "password"),
        ({"password": None, "oauth2_access_token": "t" * 8193}, "oauth2AccessToken"),
        ({"group_addresses": [f"g{n}@example.com" for n in range(51)]}, "groupAddresses"),
        ({"group_addresses": ["x" * 250 + "@example.com"]}, "groupAddresses"),
        ({"group_addresses": ["nope"]}, "groupAddresses"),
    ],
)
async def test_oversized_or_malformed_input_names_its_argument(
    database: object, fields: dict[str, Any], argument: str
) -> None:
    assert await refused_argument(account_input(**fields)) == argument


@pytest.mark.parametrize("bad", ["\r", "\n", "\0"])
@pytest.mark.parametrize(
    ("field", "argument", "value"),
    [
        ("email", "email", "p{}@example.com"),
        ("imap_host", "imapHost", "imap{}.example.com"),
        ("username", "username", "u{}X1 DELETE INBOX"),
        ("password", "password", "p{}X1 DELETE INBOX"),
        ("oauth2_access_token", "oauth2AccessToken", "t{}X1 DELETE INBOX"),
        ("group_addresses", "groupAddresses", "g{}@example.com"),
    ],
)
async def test_line_breaks_and_nul_are_refused(
    database: object, bad: str, field: str, argument: str, value: str
) -> None:
    given: Any = value.format(bad)
    fields: dict[str, Any] = {field: [given] if field == "group_addresses" else given}
    if field == "oauth2_access_token":
        fields["password"] = None
    assert await refused_argument(account_input(**fields)) == argument


async def test_an_injected_command_never_reaches_dovecot(database: object, dovecot: Any) -> None:
    """The attack: a username that ends the LOGIN line and starts a DELETE. Refused before any
    connection; a password with a space, quote and backslash still logs in."""
    email, password = f"q{uuid.uuid4().hex[:8]}@example.com", 'p a"s\\s w'
    dovecot.add_user(email, password)
    base = {"email": email, "imap_port": dovecot.port, "verify": True}
    attack = account_input(username="u\r\nX1 DELETE INBOX", password=password, **base)
    assert await refused_argument(attack) == "username"
    account = await add_account(
        Principal(f"u{uuid.uuid4().hex[:8]}", Role.USER), account_input(password=password, **base)
    )
    assert account.username == email


def test_the_username_is_sent_quoted() -> None:
    """imaplib sends LOGIN's user name as it is; a space or quote in it must stay one argument."""
    server = FakeImap("trickle")
    try:
        login = ImapLogin(
            host="127.0.0.1",
            port=server.port,
            security=ImapSecurity.NONE,
            username='a b"c\\d',
            password="pw",
            allow_private_hosts=True,
        )
        with ImapSession(login):
            pass
        sent = [line for line in server.connections[0].lines if b" LOGIN " in line]
        assert [line.split(b" ", 1)[1] for line in sent] == [b'LOGIN "a b\\"c\\\\d" "pw"\r\n']
    finally:
        server.stop()


async def test_errors_name_the_failure_not_the_servers_banner(database: object) -> None:
    """A non-IMAP service's greeting (secrets included) is never quoted back to the user."""
    server = FakeImap("banner")
    try:
        data = account_input(imap_port=server.port, verify=True)
        with pytest.raises(BadInput) as refused:
            await add_account(Principal("banner", Role.USER), data)
    finally:
        server.stop()
    message = refused.value.message
    assert message == f"Could not log in: Connecting to 127.0.0.1:{server.port} failed: " + (
        "the server did not greet as IMAP"
    )
    assert "hunter2" not in message and "SSH" not in message


async def test_a_closed_port_is_connection_refused(database: object) -> None:
    data = account_input(imap_port=1, verify=True)
    with pytest.raises(BadInput) as refused:
        await add_account(Principal("closed", Role.USER), data)
    assert refused.value.message == (
        "Could not log in: Connecting to 127.0.0.1:1 failed: connection refused"
    )
