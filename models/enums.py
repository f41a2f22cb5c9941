"""Enumerations shared by documents, the scanner and the GraphQL types (one definition each)."""

from enum import StrEnum


class ScanType(StrEnum):
    """What a scan covers: the INBOX, or the group addresses across folders."""

    INBOX = "INBOX"
    GROUPS = "GROUPS"


class TaskStatus(StrEnum):
    """Lifecycle of a scan task; SUCCESS, FAILURE and CANCELLED are terminal."""

    PENDING = "PENDING"
    PROGRESS = "PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_STATUSES


TERMINAL_STATUSES = frozenset({TaskStatus.SUCCESS, TaskStatus.FAILURE, TaskStatus.CANCELLED})
ACTIVE_STATUSES = frozenset({TaskStatus.PENDING, TaskStatus.PROGRESS})


class ImapSecurity(StrEnum):
    """How the IMAP connection is protected."""

    SSL = "SSL"
    STARTTLS = "STARTTLS"
    NONE = "NONE"


class InvoiceSource(StrEnum):
    """Where an invoice's fields were read from, most exact first."""

    FACTURX = "FACTURX"
    UBL = "UBL"
    PDF = "PDF"
    HTML = "HTML"
    TEXT = "TEXT"
    OCR = "OCR"  # a scanned PDF or a photo, read by Tesseract
