"""The per-request (per-websocket-connection) context: the caller and the app's connections."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from core.auth import EXPIRED, Principal, principal_from_header
from core.errors import Forbidden, Unauthenticated
from graph.limits import SubscriptionSlots
from graph.relay import Relay
from graph.websocket_auth import NO_TOKEN, TokenExpiry


@dataclass
class Context:
    """What resolvers see as `info.context`.

    Over HTTP the caller comes from the Authorization header; over a websocket Strawberry builds
    the context once per connection and `on_ws_connect` sets `ws_principal` from connection_init
    and closes the socket when its token expires (`token_expiry`; graph/websocket_auth.py).
    """

    request: Request | WebSocket
    response: Response | None
    connection_params: dict[str, Any] | None = None
    ws_principal: Principal | None = None
    # One context per websocket connection: this counts that connection's subscriptions.
    subscriptions: SubscriptionSlots = field(default_factory=SubscriptionSlots)
    token_expiry: TokenExpiry = field(default_factory=TokenExpiry)
    _http_principal: Principal | None = field(default=None, repr=False)

    @property
    def redis(self) -> Redis:
        return self.request.app.state.redis

    @property
    def mongo(self) -> AsyncMongoClient[Any]:
        return self.request.app.state.mongo

    @property
    def relay(self) -> Relay:
        return self.request.app.state.relay

    def user(self) -> Principal:
        """The authenticated caller; raises Unauthenticated."""
        if isinstance(self.request, WebSocket):
            if self.ws_principal is None:
                raise Unauthenticated(NO_TOKEN)
            # The socket closes at expiry; this refuses what arrives before the close is sent.
            if self.ws_principal.expired():
                raise Unauthenticated(EXPIRED)
            return self.ws_principal
        if self._http_principal is None:
            self._http_principal = principal_from_header(self.request.headers.get("authorization"))
        return self._http_principal

    @property
    def authenticated(self) -> bool:
        """Whether a caller has been authenticated on this request or socket so far (a resolver
        asked for `user()` and the token held)."""
        return self.ws_principal is not None or self._http_principal is not None

    def admin(self) -> Principal:
        """The caller if an admin; raises Unauthenticated or Forbidden."""
        principal = self.user()
        if not principal.is_admin:
            raise Forbidden("This operation is for admins")
        return principal
