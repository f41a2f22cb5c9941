"""A mailbox a user connected, with its credentials encrypted at rest."""

from __future__ import annotations

from datetime import UTC, datetime

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.enums import ImapSecurity


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (MongoDB stores milliseconds)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class EmailAccount(Document):
    """An IMAP account of one user. Secrets are Fernet tokens, never plain text."""

    user_id: str
    email: str
    imap_host: str
    imap_port: int
    security: ImapSecurity
    username: str
    password_encrypted: str | None = None
    oauth2_token_encrypted: str | None = None
    group_addresses: list[str] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    last_scan_at: datetime | None = None

    class Settings:
        name = "email_accounts"
        indexes = [IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)])]
