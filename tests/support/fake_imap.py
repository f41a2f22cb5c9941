"""Misbehaving IMAP servers for tests (the outside world): one that never greets, one that greets
as another service, one that answers SELECT a byte at a time. Each records what it was sent and
when each connection closed."""

from __future__ import annotations

import select
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["silent", "banner", "trickle"]

BANNER = b"SSH-2.0-internal-service secret=hunter2-TOKEN-0xDEADBEEF\r\n"


@dataclass
class Connection:
    lines: list[bytes] = field(default_factory=list)
    closed_at: float | None = None


class FakeImap:
    """A threaded TCP server on 127.0.0.1; `stop` closes it and every connection."""

    def __init__(self, mode: Mode, trickle_every: float = 1.0) -> None:
        self.mode = mode
        self.trickle_every = trickle_every
        self.connections: list[Connection] = []
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(sock)
            connection = Connection()
            self.connections.append(connection)
            threading.Thread(target=self._serve, args=(sock, connection), daemon=True).start()

    def _serve(self, sock: socket.socket, connection: Connection) -> None:
        try:
            if self.mode == "silent":
                self._wait_for_close(sock)
            elif self.mode == "banner":
                sock.sendall(BANNER)
                self._wait_for_close(sock)
            else:
                self._imap(sock, connection)
        except OSError:
            pass
        finally:
            connection.closed_at = time.monotonic()

    def _wait_for_close(self, sock: socket.socket) -> None:
        while not self._stopping.is_set() and sock.recv(4096):
            pass

    def _imap(self, sock: socket.socket, connection: Connection) -> None:
        sock.sendall(b"* OK [CAPABILITY IMAP4rev1] fake ready\r\n")
        reader = sock.makefile("rb")
        while line := reader.readline():
            connection.lines.append(line)
            tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
            command = rest.split(b" ", 1)[0].upper()
            if command == b"CAPABILITY":
                sock.sendall(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
            elif command in (b"SELECT", b"EXAMINE"):
                self._trickle(sock)
                return
            elif command == b"LOGOUT":
                sock.sendall(b"* BYE bye\r\n" + tag + b" OK done\r\n")
                return
            else:
                sock.sendall(tag + b" OK done\r\n")

    def _trickle(self, sock: socket.socket) -> None:
        """One byte of an endless untagged line every `trickle_every` seconds, until the client
        closes the connection (seen at once: the socket turns readable with nothing to read)."""
        sock.sendall(b"* OK ")
        while not self._stopping.is_set():
            readable, _, _ = select.select([sock], [], [], self.trickle_every)
            if readable and not sock.recv(4096):
                return
            sock.sendall(b"x")
