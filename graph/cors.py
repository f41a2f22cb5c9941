"""Which browser pages on other origins may call the API over HTTP (CORS_ORIGINS).

Tokens travel in the Authorization header, never in cookies, so credentials stay off. The same
list decides the websocket handshake's Origin check (Strawberry's `allowed_origins`, graph/app.py):
CORS does not apply to websockets.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

# How long a browser may reuse a preflight's answer; Chromium caps it at 2 hours.
PREFLIGHT_MAX_AGE_SECONDS = 7200


def cors_middleware(origins: Sequence[str]) -> Middleware:
    """Starlette's CORS middleware for `origins`; with none, it adds no header and refuses every
    preflight, so only same-origin pages (GraphiQL among them) can read the answers."""
    return Middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
    )
