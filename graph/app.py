"""The Starlette application: GraphQL over HTTP and websockets, health, and the lifespan that owns
every connection (MongoDB, Redis, broadcaster)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from core.database import connect_database
from core.errors import RateLimited, Unauthenticated
from core.settings import settings
from graph import http_errors
from graph.context import Context
from graph.cors import cors_middleware
from graph.graphiql import ASSETS_ROUTE, graphiql_assets, graphiql_html
from graph.limits import BodyLimit
from graph.metrics import metrics
from graph.quotas import admit_socket
from graph.relay import Relay
from graph.schema import schema
from graph.shared_events import encoded_next
from graph.websocket_auth import (
    ClosingWebSocketAdapter,
    close_rate_limited,
    close_unauthorized,
    principal_from_params,
)

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 2.0
CONNECTION_INIT_SECONDS = 5


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context, websocket authentication, and every refusal of
    a request as a GraphQL error in JSON (graph/http_errors.py)."""

    async def run(
        self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET
    ) -> Any:
        if isinstance(request, WebSocket):
            return await super().run(request, context, root_value)
        try:
            response = await super().run(request, context, root_value)
        except HTTPException as exc:
            return http_errors.request_error(request, exc)
        return http_errors.respond(request, response)

    def decode_json(self, data: str | bytes) -> object:
        return http_errors.decode_json(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST" and "application/json" in (request.content_type or ""):
            http_errors.check_body(await request.get_body())
        data = await super().parse_http_body(request)
        http_errors.check_request(data)
        return data

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        http_errors.shaped(request, result, body)
        return body

    websocket_adapter_class = ClosingWebSocketAdapter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        # The context is made here, not in `run`, to stop its token's expiry timer when the
        # connection ends (graph/websocket_auth.py).
        websocket = WebSocket(scope, receive=receive, send=send)
        context = await self.get_context(websocket, websocket)
        try:
            await self.run(websocket, context=context)
        finally:
            context.token_expiry.cancel()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        return Context(
            request=request, response=response if isinstance(response, Response) else None
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        websocket = context.request
        assert isinstance(websocket, WebSocket)
        try:
            principal = principal_from_params(context.connection_params)
        except Unauthenticated as exc:
            # 4401 with the reason, before Strawberry's 4403 (which graphql-ws retries).
            await close_unauthorized(websocket, exc.message)
            raise ConnectionRejectionError() from exc
        try:
            admit_socket(websocket, principal)
        except RateLimited as exc:
            await close_rate_limited(websocket, exc.message)
            raise ConnectionRejectionError() from exc
        context.ws_principal = principal
        context.token_expiry.watch(websocket, principal, settings.JWT_LEEWAY_SECONDS)
        return None

    @property
    def graphql_ide_html(self) -> str:
        # Strawberry's page with its scripts served by this API, not a CDN (graph/graphiql.py).
        return graphiql_html()

    def encode_json(self, data: object) -> str | bytes:
        # A `next` message whose data is a shared event result: encode that data once for
        # every subscriber (graph/shared_events.py), only the envelope per subscriber.
        if isinstance(data, dict) and data.get("type") == "next":
            encoded = encoded_next(data)
            if encoded is not None:
                return encoded
        return super().encode_json(data)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    _tune_garbage_collector()
    mongo = await connect_database()
    redis = Redis.from_url(settings.REDIS_URL)
    relay = Relay(settings.REDIS_URL)
    await relay.connect()
    app.state.mongo = mongo
    app.state.redis = redis
    app.state.relay = relay
    try:
        yield
    finally:
        await relay.disconnect()
        await redis.aclose()
        await mongo.close()


def _tune_garbage_collector() -> None:
    """Thousands of websockets keep many long-lived objects, and every message allocates a few
    short-lived ones: the default thresholds spent about a fifth of the API's CPU collecting at
    fan-out. Objects alive at start-up are frozen out of collection, and collection runs less
    often (still bounded: a cycle waits at most 50,000 allocations)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


async def healthz(request: Request) -> Response:
    """Liveness: the process serves requests."""
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    """Readiness: 200 only while Redis and MongoDB both answer a ping."""
    state = request.app.state
    redis_ok, mongo_ok = await asyncio.gather(
        _answers(state.redis.ping()), _answers(state.mongo.admin.command("ping"))
    )
    ready = redis_ok and mongo_ok
    return JSONResponse({"redis": redis_ok, "mongodb": mongo_ok}, status_code=200 if ready else 503)


async def _answers(ping: Awaitable[object]) -> bool:
    try:
        await asyncio.wait_for(ping, READY_TIMEOUT_SECONDS)
    except Exception:  # down, slow or refusing: not ready, whatever the reason
        return False
    return True


def create_app(**graphql_options: Any) -> Starlette:
    """Build the application; options go to Strawberry's GraphQL view."""
    graphql = GraphQLApp(
        schema,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        # Only graphql-transport-ws: the legacy graphql-ws protocol let a second
        # connection_init change a socket's user. Clients that offer both (Python gql offers
        # the legacy one first) get this one; a legacy-only client gets 4406.
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        allowed_origins=settings.CORS_ORIGINS,
        # A socket that has not sent connection_init by then is closed (4408): Strawberry's
        # default of a minute let anonymous sockets hold connection slots for free.
        connection_init_wait_timeout=timedelta(seconds=CONNECTION_INIT_SECONDS),
        **graphql_options,
    )
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Mount(ASSETS_ROUTE, graphiql_assets()),
        ],
        middleware=[cors_middleware(settings.CORS_ORIGINS), Middleware(BodyLimit)],
        lifespan=lifespan,
    )


app = create_app()
