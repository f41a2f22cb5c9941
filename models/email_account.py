"""A mailbox a user connected, with its credentials encrypted at rest."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from beanie import Document
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.enums import ImapSecurity


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (MongoDB stores milliseconds)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class FolderSync(BaseModel):
    """What earlier scans read of one folder: every message with a UID up to `last_uid`
    received since `since`. Only valid while the folder keeps its UIDVALIDITY."""

    folder: str
    uidvalidity: int
    since: date
    last_uid: int

    @staticmethod
    def key(scope: str, folder: str) -> str:
        """The entry's key in `EmailAccount.folder_sync`: a hash, since folder names may hold
        the dots and dollars MongoDB field names cannot."""
        return hashlib.sha256(f"{scope}\0{folder}".encode()).hexdigest()[:24]


class ScanPace(BaseModel):
    """How fast the account's recent successful scans went; None where there is nothing to go
    by. Kept on the account, so startScan estimates without reading the task history."""

    seconds_per_month: float | None = None
    messages_per_second: float | None = None


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
    # Written after each successful scan (tasks/estimates.py).
    recent_pace: ScanPace = Field(default_factory=ScanPace)
    # Per scan scope and folder, what earlier scans read (see FolderSync.key).
    folder_sync: dict[str, FolderSync] = Field(default_factory=dict)

    class Settings:
        name = "email_accounts"
        indexes = [IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)])]
