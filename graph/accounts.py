"""Adding a mailbox: validate, refuse private hosts, log in once, store secrets encrypted."""

from __future__ import annotations

import asyncio
import re

from core.auth import Principal
from core.credentials import encrypt_secret
from core.errors import BadInput
from core.settings import settings
from graph.types import AddEmailAccountInput
from models import EmailAccount
from scanner.hosts import PrivateHostError, ensure_public_host
from scanner.imap import ImapError, ImapLogin, ImapSession

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def add_account(principal: Principal, data: AddEmailAccountInput) -> EmailAccount:
    """Validate `data`, optionally verify the login, and store the account."""
    login = _validated_login(data)
    if not login.allow_private_hosts:
        try:
            await asyncio.to_thread(ensure_public_host, login.host, login.port)
        except PrivateHostError as exc:
            raise BadInput(str(exc), argument="imapHost") from exc
        except (OSError, UnicodeError) as exc:
            raise BadInput(f"{login.host} does not resolve", argument="imapHost") from exc
    if data.verify:
        try:
            await asyncio.to_thread(_try_login, login)
        except ImapError as exc:
            raise BadInput(f"Could not log in: {exc}", argument="input") from exc
    account = EmailAccount(
        user_id=principal.user_id,
        email=data.email.strip(),
        imap_host=login.host,
        imap_port=login.port,
        security=login.security,
        username=login.username,
        password_encrypted=encrypt_secret(login.password) if login.password else None,
        oauth2_token_encrypted=encrypt_secret(login.oauth2_token) if login.oauth2_token else None,
        group_addresses=[address.strip().lower() for address in data.group_addresses],
    )
    await account.insert()
    return account


def _validated_login(data: AddEmailAccountInput) -> ImapLogin:
    if not _EMAIL.match(data.email.strip()):
        raise BadInput("email is not an email address", argument="email")
    host = data.imap_host.strip()
    if not host or any(ch.isspace() for ch in host):
        raise BadInput("imapHost is not a host name", argument="imapHost")
    if not 1 <= data.imap_port <= 65535:
        raise BadInput("imapPort must be between 1 and 65535", argument="imapPort")
    password, oauth2_token = _given(data.password), _given(data.oauth2_access_token)
    if (password is None) == (oauth2_token is None):
        raise BadInput("Give exactly one of password and oauth2AccessToken", argument="password")
    for address in data.group_addresses:
        if not _EMAIL.match(address.strip()):
            raise BadInput(f"{address!r} is not an email address", argument="groupAddresses")
    return ImapLogin(
        host=host,
        port=data.imap_port,
        security=data.security,
        username=(_given(data.username) or data.email).strip(),
        password=password,
        oauth2_token=oauth2_token,
        timeout=settings.IMAP_TIMEOUT_SECONDS,
        allow_private_hosts=settings.IMAP_ALLOW_PRIVATE_HOSTS,
    )


def _given(value: str | None) -> str | None:
    """None for an argument left out (UNSET) or null."""
    return value if isinstance(value, str) else None


def _try_login(login: ImapLogin) -> None:
    with ImapSession(login):
        pass
