"""A local OAuth2 token-introspection endpoint (RFC 7662): the OAuth provider is the one edge of
the world tests may fake. Dovecot's oauth2 passdb asks it whether a bearer token is active and
whose it is."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

INTROSPECTION_PATH = "/introspect"


class IntrospectionEndpoint:
    """Answers introspection requests from a dict token → username; records every token asked
    about, so a test can prove a login went through the provider."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.tokens: dict[str, str] = {}
        self.seen: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = False
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() waits for the loop to notice
            name="oauth2-introspection",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{INTROSPECTION_PATH}"

    def grant(self, token: str, username: str) -> None:
        with self._lock:
            self.tokens[token] = username

    def revoke(self, token: str) -> None:
        with self._lock:
            self.tokens.pop(token, None)

    def introspect(self, token: str) -> dict[str, Any]:
        """The RFC 7662 answer for `token`: inactive unless granted."""
        with self._lock:
            self.seen.append(token)
            username = self.tokens.get(token)
        if username is None:
            return {"active": False}
        return {
            "active": True,
            "username": username,
            "email": username,
            "scope": "mail",
            "token_type": "Bearer",
        }

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def introspection_endpoint() -> Iterator[IntrospectionEndpoint]:
    """A running endpoint, shut down and its socket closed on exit."""
    endpoint = IntrospectionEndpoint()
    endpoint.start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


def _handler_for(endpoint: IntrospectionEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so no handler thread idles on a kept-alive
        # connection and stop() joins them all at once; the timeout bounds a stuck client.
        protocol_version = "HTTP/1.0"
        timeout = 10

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode("ascii", "replace"))
            self._answer(form.get("token", [""])[0])

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            token = query.get("token", [""])[0]
            authorization = self.headers.get("Authorization") or ""
            if not token and authorization.lower().startswith("bearer "):
                token = authorization[7:]
            self._answer(token)

        def _answer(self, token: str) -> None:
            if urlsplit(self.path).path != INTROSPECTION_PATH:
                self.send_error(404)
                return
            if not token:
                self.send_error(400, "token missing")
                return
            body = json.dumps(endpoint.introspect(token)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: pytest shows stderr of failing tests only, and the log is noise."""

    return Handler
