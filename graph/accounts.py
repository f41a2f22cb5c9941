"""Adding a mailbox: validate, refuse private hosts, log in once, store secrets encrypted."""

from __future__ import annotations

from core.auth import Principal
from core.credentials import encrypt_secret
from core.errors import BadInput
from core.settings import settings
from graph import account_input as checked
from graph.types import AddEmailAccountInput
from graph.verify_pool import CheckTimedOut, verify_pool
from models import EmailAccount
from scanner.hosts import PrivateHostError, checked_addresses
from scanner.imap import ImapError, ImapHostError, ImapLogin, ImapSession


async def add_account(principal: Principal, data: AddEmailAccountInput) -> EmailAccount:
    """Validate `data`, optionally verify the login, and store the account."""
    email = checked.email_address(data.email, "email")
    groups = checked.group_addresses(data.group_addresses)
    login = _validated_login(data, email)
    if data.verify:
        # The login resolves the host once, checks it and connects to that very address.
        await _verify_login(principal.user_id, login)
    elif not login.allow_private_hosts:
        await _check_host(principal.user_id, login)
    account = EmailAccount(
        user_id=principal.user_id,
        email=email,
        imap_host=login.host,
        imap_port=login.port,
        security=login.security,
        username=login.username,
        password_encrypted=encrypt_secret(login.password) if login.password else None,
        oauth2_token_encrypted=encrypt_secret(login.oauth2_token) if login.oauth2_token else None,
        group_addresses=groups,
    )
    await account.insert()
    return account


def _validated_login(data: AddEmailAccountInput, email: str) -> ImapLogin:
    host = checked.host_name(data.imap_host)
    if not 1 <= data.imap_port <= 65535:
        raise BadInput("imapPort must be between 1 and 65535", argument="imapPort")
    password, oauth2_token = _given(data.password), _given(data.oauth2_access_token)
    if (password is None) == (oauth2_token is None):
        raise BadInput("Give exactly one of password and oauth2AccessToken", argument="password")
    if password is not None:
        checked.bounded(password, "password", checked.MAX_PASSWORD)
    if oauth2_token is not None:
        checked.bounded(oauth2_token, "oauth2AccessToken", checked.MAX_TOKEN)
    username = _given(data.username)
    if username is not None:
        username = checked.bounded(username, "username", checked.MAX_USERNAME).strip()
    deadline = settings.IMAP_VERIFY_DEADLINE_SECONDS
    return ImapLogin(
        host=host,
        port=data.imap_port,
        security=data.security,
        username=username or email,
        password=password,
        oauth2_token=oauth2_token,
        # The whole trial login answers within the verify deadline.
        timeout=min(settings.IMAP_TIMEOUT_SECONDS, deadline),
        deadline=deadline,
        allow_private_hosts=settings.IMAP_ALLOW_PRIVATE_HOSTS,
    )


def _given(value: str | None) -> str | None:
    """None for an argument left out (UNSET) or null."""
    return value if isinstance(value, str) else None


async def _check_host(user_id: str, login: ImapLogin) -> None:
    def check() -> None:
        checked_addresses(login.host, login.port, allow_private=False)

    try:
        await verify_pool().run(user_id, "resolve", check)
    except PrivateHostError as exc:
        raise BadInput(str(exc), argument="imapHost") from exc
    except (OSError, UnicodeError, CheckTimedOut) as exc:
        raise BadInput(f"{login.host} does not resolve", argument="imapHost") from exc


async def _verify_login(user_id: str, login: ImapLogin) -> None:
    def try_login() -> None:
        with ImapSession(login):
            pass

    try:
        await verify_pool().run(user_id, "login", try_login)
    except ImapHostError as exc:
        raise BadInput(str(exc), argument="imapHost") from exc
    except ImapError as exc:
        raise BadInput(f"Could not log in: {exc}", argument="input") from exc
    except CheckTimedOut as exc:
        raise BadInput("Could not log in: timed out", argument="input") from exc
