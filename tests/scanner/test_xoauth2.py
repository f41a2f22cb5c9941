"""SASL XOAUTH2 logins against a real Dovecot whose oauth2 passdb asks a local token-introspection
endpoint (the faked OAuth provider) about each bearer token."""

from __future__ import annotations

import imaplib
import secrets
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from models.enums import ImapSecurity
from scanner.imap import ImapError, ImapLogin, ImapSession
from tests.support.dovecot import Dovecot
from tests.support.oauth2 import IntrospectionEndpoint, introspection_endpoint
from tests.support.services import Services, free_port

USER = "alice@example.test"
PASSWORD = "alice-password"
OTHER_USER = "bob@example.test"
SUBJECT = "Invoice 2026-0042"
# What Dovecot 2.3's oauth2 passdb logs (auth_verbose) when the endpoint calls a token inactive.
INACTIVE_TOKEN_LOG = "oauth2 failed: Introspection failed: Provided token is not valid"


@pytest.fixture(scope="module")
def provider() -> Iterator[IntrospectionEndpoint]:
    with introspection_endpoint() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def oauth_dovecot(services: Services, provider: IntrospectionEndpoint) -> Iterator[Dovecot]:
    """A Dovecot of its own: the session's shared one has no oauth2 passdb."""
    server = Dovecot(
        base=services.base / "dovecot-oauth2",
        port=free_port(),
        oauth2_introspection_url=provider.url,
    )
    server.start()
    try:
        server.add_user(USER, PASSWORD)
        server.add_user(OTHER_USER, "bob-password")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "billing@shop.example", USER, SUBJECT
        message.set_content("Total: 12.50 EUR")
        server.append(USER, PASSWORD, [(message.as_bytes(), datetime.now(UTC))])
        yield server
    finally:
        server.stop()


def oauth2_login(server: Dovecot, token: str, username: str = USER) -> ImapLogin:
    return ImapLogin(
        host=server.host,
        port=server.port,
        security=ImapSecurity.NONE,
        username=username,
        oauth2_token=token,
        timeout=10,
        allow_private_hosts=True,
    )


def granted_token(provider: IntrospectionEndpoint, username: str = USER) -> str:
    token = secrets.token_urlsafe(24)
    provider.grant(token, username)
    return token


def wait_for_log(server: Dovecot, needle: str, timeout: float = 5) -> str:
    """Dovecot's log process writes a line shortly after the event."""
    log = server.base / "dovecot.log"
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text(errors="replace")
        if needle in text:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} not in {log}:\n{text[-3000:]}")
        time.sleep(0.05)


def test_xoauth2_login_lists_folders_and_searches_inbox(
    oauth_dovecot: Dovecot, provider: IntrospectionEndpoint
) -> None:
    token = granted_token(provider)
    with ImapSession(oauth2_login(oauth_dovecot, token)) as session:
        assert "INBOX" in [folder.name for folder in session.folders()]
        session.select("INBOX")
        [outline] = session.outlines(session.search(["ALL"]))
    assert SUBJECT.encode() in outline.header
    # The token reached the provider: Dovecot's oauth2 passdb judged it, not a password check.
    assert token in provider.seen
    wait_for_log(oauth_dovecot, f"Login: user=<{USER}>, method=XOAUTH2")


def test_revoked_token_is_refused(oauth_dovecot: Dovecot, provider: IntrospectionEndpoint) -> None:
    token = granted_token(provider)
    with ImapSession(oauth2_login(oauth_dovecot, token)) as session:
        session.folders()
    provider.revoke(token)
    asked_before = provider.seen.count(token)
    with pytest.raises(ImapError, match="Login to 127.0.0.1 failed"):
        with ImapSession(oauth2_login(oauth_dovecot, token)):
            pass
    assert provider.seen.count(token) == asked_before + 1
    wait_for_log(oauth_dovecot, INACTIVE_TOKEN_LOG)


def test_unknown_token_is_refused(oauth_dovecot: Dovecot, provider: IntrospectionEndpoint) -> None:
    token = secrets.token_urlsafe(24)
    with pytest.raises(ImapError):
        with ImapSession(oauth2_login(oauth_dovecot, token)):
            pass
    assert token in provider.seen


def test_another_users_token_is_refused(
    oauth_dovecot: Dovecot, provider: IntrospectionEndpoint
) -> None:
    token = granted_token(provider, OTHER_USER)
    with pytest.raises(ImapError):
        with ImapSession(oauth2_login(oauth_dovecot, token, username=USER)):
            pass
    assert token in provider.seen
    wait_for_log(oauth_dovecot, f"Username '{USER}' did not match '{OTHER_USER}'")


def test_passwords_still_work_and_never_reach_the_provider(
    oauth_dovecot: Dovecot, provider: IntrospectionEndpoint
) -> None:
    token = granted_token(provider)
    password_login = ImapLogin(
        host=oauth_dovecot.host,
        port=oauth_dovecot.port,
        security=ImapSecurity.NONE,
        username=USER,
        password=PASSWORD,
        allow_private_hosts=True,
    )
    with ImapSession(password_login) as session:
        session.folders()
    # A token sent as a password is checked against the passwd-file only, and fails there.
    with pytest.raises(ImapError):
        with ImapSession(replace(password_login, password=token)):
            pass
    assert token not in provider.seen
    assert PASSWORD not in provider.seen
    wait_for_log(oauth_dovecot, f"passwd-file({USER},")
    wait_for_log(oauth_dovecot, "Password mismatch")


def test_oauthbearer_login(oauth_dovecot: Dovecot, provider: IntrospectionEndpoint) -> None:
    """The scanner speaks XOAUTH2; OAUTHBEARER (RFC 7628) is the standard twin Dovecot offers."""
    token = granted_token(provider)
    client = imaplib.IMAP4(oauth_dovecot.host, oauth_dovecot.port, timeout=10)
    try:
        initial = f"n,a={USER},\x01auth=Bearer {token}\x01\x01".encode()
        typ, _ = client.authenticate("OAUTHBEARER", lambda _challenge: initial)
        assert typ == "OK"
    finally:
        client.logout()
    assert token in provider.seen
