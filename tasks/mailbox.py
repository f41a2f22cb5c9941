"""What a scan and the parts of a split scan share: the limits on one mail, the login of an
account, and an IMAP session that a cancel closes at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from core.credentials import decrypt_secret
from core.settings import settings
from models import EmailAccount, ScanTask
from scanner.imap import ImapLogin, ImapSession
from scanner.limits import ScanLimits
from tasks.cancel_watch import stopped_on_cancel
from tasks.runtime import runtime

# Messages read per round of FETCHes: few round trips, bounded memory.
FETCH_BATCH_SIZE = 50
# Under Celery's 25 min soft limit, with time to record the failure.
SCAN_TIME_LIMIT_SECONDS = 24 * 60


@asynccontextmanager
async def imap_session(login: ImapLogin, task: ScanTask) -> AsyncIterator[ImapSession]:
    """An ImapSession opened and closed in a thread (the heartbeat runs on this event loop),
    its connection closed at once when the task is cancelled (tasks/cancel_watch.py)."""
    session = ImapSession(login)
    async with stopped_on_cancel(task.id, task.attempt, runtime().redis, session.abort):
        await asyncio.to_thread(session.__enter__)
        try:
            yield session
        except BaseException:
            # A thread may still wait on the server (the time limit cancelled this coroutine,
            # not the thread): close the connection rather than log out behind it.
            session.abort("stopped")
            raise
        finally:
            await asyncio.to_thread(session.__exit__, None, None, None)


def scan_limits() -> ScanLimits:
    """The limits on one mail, from settings."""
    return ScanLimits(
        max_attachment_bytes=settings.SCAN_MAX_ATTACHMENT_BYTES,
        max_attachments=settings.SCAN_MAX_ATTACHMENTS,
        max_depth=settings.SCAN_MAX_MIME_DEPTH,
        max_pdf_pages=settings.SCAN_MAX_PDF_PAGES,
        max_decompressed_bytes=settings.SCAN_MAX_DECOMPRESSED_BYTES,
        max_pdf_seconds=settings.SCAN_MAX_PDF_SECONDS,
        max_pdf_reader_bytes=settings.SCAN_PDF_READER_MEMORY_MB * 1024 * 1024,
        max_ocr_pages=settings.OCR_MAX_PAGES,
        max_ocr_pixels=settings.OCR_MAX_PIXELS,
        max_ocr_page_seconds=settings.OCR_MAX_PAGE_SECONDS,
        max_ocr_reader_bytes=settings.OCR_READER_MEMORY_MB * 1024 * 1024,
    )


def login_for(account: EmailAccount) -> ImapLogin:
    return ImapLogin(
        host=account.imap_host,
        port=account.imap_port,
        security=account.security,
        username=account.username,
        password=decrypt_secret(account.password_encrypted) if account.password_encrypted else None,
        oauth2_token=(
            decrypt_secret(account.oauth2_token_encrypted)
            if account.oauth2_token_encrypted
            else None
        ),
        timeout=settings.IMAP_TIMEOUT_SECONDS,
        deadline=settings.IMAP_COMMAND_DEADLINE_SECONDS,
        allow_private_hosts=settings.IMAP_ALLOW_PRIVATE_HOSTS,
    )
