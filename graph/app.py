"""The Starlette application: GraphQL over HTTP and websockets, health, and the lifespan that owns
every connection (MongoDB, Redis, broadcaster)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from core.auth import principal_from_header
from core.database import connect_database
from core.errors import Unauthenticated
from core.settings import settings
from graph.context import Context
from graph.limits import BodyLimit
from graph.metrics import metrics
from graph.quotas import admit_socket
from graph.relay import Relay
from graph.schema import schema
from graph.shared_events import encoded_next

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 2.0


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context and websocket authentication."""

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        return Context(
            request=request, response=response if isinstance(response, Response) else None
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        header = next(
            (str(value) for key, value in params.items() if key.lower() == "authorization"), None
        )
        try:
            context.ws_principal = principal_from_header(header)
        except Unauthenticated as exc:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": exc.message}
            ) from exc
        admit_socket(context.request, context.user())
        return None

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
        graphql_ide="graphiql",
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        **graphql_options,
    )
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ],
        middleware=[Middleware(BodyLimit)],
        lifespan=lifespan,
    )


app = create_app()
