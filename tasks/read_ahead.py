"""Reading a folder's messages in batches, the next batch fetched while this one is parsed.

Fetching is waiting on the server (a thread that releases the GIL), finding invoices is CPU work
(PDFs parsed in a child process): overlapping the two keeps a scan process busy instead of
alternating between idle network and idle CPU. One batch is read ahead, never more, so memory
stays bounded by two batches.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from types import TracebackType

from scanner.imap import ImapSession
from scanner.limits import ScanLimits
from scanner.messages import ParsedMessage
from scanner.reading import ReadMessage, read_batch

type Batch = tuple[list[int], list[ReadMessage]]


class ReadAhead:
    """`async with ReadAhead(...) as reader: async for uids, messages in reader:` reads `uids`
    of the selected folder in batches of `batch_size`, each fetched in a thread while the
    caller works on the one before. Leaving the block early by an exception closes the
    connection (the batch under way may wait on a slow server); leaving it early otherwise
    waits for that batch, which is then dropped."""

    def __init__(
        self,
        session: ImapSession,
        uids: Sequence[int],
        batch_size: int,
        limits: ScanLimits,
        keep: Callable[[ParsedMessage], bool] | None = None,
    ) -> None:
        self._session, self._limits, self._keep = session, limits, keep
        self._batches = [list(uids[i : i + batch_size]) for i in range(0, len(uids), batch_size)]
        self._ahead: asyncio.Future[list[ReadMessage]] | None = None

    async def __aenter__(self) -> ReadAhead:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        ahead, self._ahead = self._ahead, None
        if ahead is None or ahead.done():
            return
        if exc_type is not None:
            self._session.abort("stopped")
        # The thread uses the session: it must end before the session is closed or reused.
        await asyncio.wait({ahead})
        with contextlib.suppress(Exception):
            ahead.result()

    async def __aiter__(self) -> AsyncIterator[Batch]:
        batches = self._batches
        if not batches:
            return
        ahead = self._ahead = self._fetch(batches[0])
        for index, uids in enumerate(batches):
            messages = await ahead
            if index + 1 < len(batches):
                ahead = self._ahead = self._fetch(batches[index + 1])
            else:
                self._ahead = None
            yield uids, messages

    def _fetch(self, uids: list[int]) -> asyncio.Future[list[ReadMessage]]:
        return asyncio.ensure_future(
            asyncio.to_thread(read_batch, self._session, uids, self._limits, self._keep)
        )
