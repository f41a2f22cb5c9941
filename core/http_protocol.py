"""uvicorn's h11 HTTP protocol with read deadlines: a client that has not sent a request's full
header within HTTP_HEADER_TIMEOUT_SECONDS, or its full body within HTTP_BODY_TIMEOUT_SECONDS
after the header, loses its connection.

uvicorn bounds neither (only the idle time between keep-alive requests), so a slow-loris client
could hold a socket forever by trickling bytes. The header's size is bounded by h11 itself
(`--h11-max-incomplete-event-size`, core/processes.py); httptools, uvicorn's other parser, has no
such bound, which is why the API runs h11.

The deadline follows h11's public state of the client (`their_state`): IDLE until a request's
header is complete, SEND_BODY until its body is, DONE after. It is checked after each read, so
a deadline runs from the first read of a phase and a trickle of bytes does not renew it. What
this leans on of uvicorn beyond asyncio's Protocol interface (`conn`, `transport`) is checked by
tests/core/test_http_limits.py, and pyproject.toml pins uvicorn's minor version.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from core.settings import settings

Phase = Literal["header", "body"]

_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 16\r\n"
    b"connection: close\r\n"
    b"\r\n"
    b"Request Timeout\n"
)


class DeadlineH11Protocol(H11Protocol):
    """H11Protocol that closes a connection whose request header or body arrives too slowly;
    a header that missed its deadline is answered 408 first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: Phase | None = None
        self._timeouts: dict[Phase, float] = {
            "header": settings.HTTP_HEADER_TIMEOUT_SECONDS,
            "body": settings.HTTP_BODY_TIMEOUT_SECONDS,
        }

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._follow_client()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_client()

    def connection_lost(self, exc: Exception | None) -> None:
        self._set_phase(None)
        super().connection_lost(exc)

    def _follow_client(self) -> None:
        """Arm, keep or cancel the deadline for where the client now is in its request."""
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            # Closed, or upgraded to a websocket (whose own pings watch it from now on).
            self._set_phase(None)
            return
        state = self.conn.their_state
        phase: Phase | None = None
        if state is h11.IDLE:
            phase = "header"
        elif state is h11.SEND_BODY:
            phase = "body"
        self._set_phase(phase)

    def _set_phase(self, phase: Phase | None) -> None:
        if phase == self._phase:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            self._deadline = self.loop.call_later(self._timeouts[phase], self._expire, phase)

    def _expire(self, phase: Phase) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return
        if phase == "header":  # no request began, so no response of the app can interleave
            self.transport.write(_TIMED_OUT)
        # Mid-body the app may already be answering: closing is the only safe thing. uvicorn
        # then tells the app (http.disconnect) as for any client that went away.
        self.transport.close()
