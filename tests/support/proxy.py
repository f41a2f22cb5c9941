"""A TCP proxy in front of an IMAP server that can hold the server's answers: a slow network or a
slow server, as a worker sees it, without touching either."""

from __future__ import annotations

import asyncio
import contextlib


class StallingProxy:
    """Forwards both ways. Once `hold_after` is set to a command (b" FETCH ", b" LOGIN "), the
    first such command a client sends holds every later answer from the server until
    `release()`; `stalled` is set at that moment."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.hold_after: bytes | None = None
        self.stalled = asyncio.Event()
        self._released = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Listen on a free loopback port; return it."""
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def release(self) -> None:
        self._released.set()

    async def close(self) -> None:
        self.release()
        if self._server is not None:
            self._server.close()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        for pump in (self._pump(reader, up_writer, client=True), self._pump(up_reader, writer)):
            task = asyncio.create_task(pump)
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, client: bool = False
    ) -> None:
        try:
            while data := await source.read(65536):
                if client and self.hold_after and self.hold_after in data.upper():
                    self.stalled.set()
                if not client and self.stalled.is_set():
                    await self._released.wait()
                sink.write(data)
                await sink.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                sink.close()
