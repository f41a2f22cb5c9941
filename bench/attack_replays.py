"""The attacks of issue 13, one coroutine each, as a client on the network would send them.

Each returns what the API answered (the code, the HTTP status or the close code), how long its
slowest answer took, and whether that is the documented answer."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import websockets
from websockets.typing import Subprotocol

from bench.stack import Stack
from core.settings import Settings, settings
from tests.support.fake_imap import FakeImap
from tests.support.graphql import token_for

ADD = "mutation($i: AddEmailAccountInput!) { addEmailAccount(input: $i) { id } }"
START = "mutation($id: ID!) { startScan(accountId: $id, months: 3) { taskId } }"
CANCEL = "mutation($id: ID!) { cancelScan(taskId: $id) { status } }"
TRANSPORT_WS = Subprotocol("graphql-transport-ws")
LEGACY_WS = Subprotocol("graphql-ws")


@dataclass(frozen=True)
class Target:
    url: str
    pid: int
    log: Path

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws(self) -> str:
        return self.graphql.replace("http://", "ws://")


@dataclass(frozen=True)
class Targets:
    stack: Stack
    test: Target
    production: Target
    issuer: str
    leeway_seconds: float

    def token(self, user: str, **claims: Any) -> str:
        """A production token: the expected issuer, unless `claims` say otherwise."""
        now = int(time.time())
        body = {"sub": user, "role": "user", "iat": now, "exp": now + 600, "iss": self.issuer}
        return jwt.encode({**body, **claims}, settings.JWT_SECRET, algorithm="HS256")


@dataclass(frozen=True)
class Outcome:
    answer: str
    seconds: float
    as_documented: bool


@dataclass(frozen=True)
class Replay:
    number: str
    attack: str
    run: Callable[[Targets], Awaitable[Outcome]]
    production: bool = True
    limit_seconds: float = 1.0


class Clock:
    """The slowest of several timed answers."""

    def __init__(self) -> None:
        self.slowest = 0.0

    async def time[T](self, answer: Awaitable[T]) -> T:
        began = time.perf_counter()
        try:
            return await answer
        finally:
            self.slowest = max(self.slowest, time.perf_counter() - began)


async def post(
    target: Target, body: bytes | dict[str, Any], token: str | None = None, **headers: str
) -> tuple[int, dict[str, Any]]:
    """POST to /graphql; the status and the decoded body ({} when it is not JSON)."""
    sent = {"content-type": "application/json", **headers}
    if token:
        sent["authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with aiohttp.ClientSession() as session:
        async with session.post(target.graphql, data=data, headers=sent) as response:
            try:
                return response.status, json.loads(await response.read())
            except ValueError:
                return response.status, {}


def code_of(body: dict[str, Any]) -> str:
    errors = body.get("errors") or [{}]
    return str((errors[0].get("extensions") or {}).get("code", "no code"))


def account_input(host: str, port: int, **fields: Any) -> dict[str, Any]:
    return {
        "email": "victim@example.com",
        "imapHost": host,
        "imapPort": port,
        "security": "NONE",
        "password": "pw",
        "verify": False,
        **fields,
    }


async def fragment_bomb(targets: Targets) -> Outcome:
    levels = 10
    fragments = [
        f"fragment F{n} on Query {{ {' '.join([f'...F{n + 1}'] * 8)} }}" for n in range(1, levels)
    ]
    query = (
        "query { ...F1 } " + " ".join(fragments) + f" fragment F{levels} on Query {{ __typename }}"
    )
    clock = Clock()
    status, body = await clock.time(post(targets.production, {"query": query}))
    return Outcome(f"{status} {code_of(body)}", clock.slowest, code_of(body) == "BAD_USER_INPUT")


async def same_name_fields(targets: Targets) -> Outcome:
    query = "{ " + " ".join(["me { __typename }"] * 450) + " }"
    clock = Clock()
    status, body = await clock.time(post(targets.production, {"query": query}))
    return Outcome(f"{status} {code_of(body)}", clock.slowest, code_of(body) == "BAD_USER_INPUT")


async def email_backtracking(targets: Targets) -> Outcome:
    email = "a@" + "." * 64000 + "@"
    payload = {
        "query": ADD,
        "variables": {"i": account_input("imap.example.com", 993, email=email)},
    }
    clock = Clock()
    status, body = await clock.time(post(targets.production, payload, targets.token("mallory")))
    return Outcome(f"{status} {code_of(body)}", clock.slowest, code_of(body) == "BAD_USER_INPUT")


async def metrics_size(target: Target) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{target.url}/metrics") as response:
            return len(await response.read())


async def operation_names(targets: Targets) -> Outcome:
    before = await metrics_size(targets.production)
    clock = Clock()
    codes = set()
    for n in range(40):
        query = f"query Op{chr(65 + n % 26) * 200_000}{n} {{ __typename }}"
        status, body = await clock.time(post(targets.production, {"query": query}))
        codes.add(f"{status} {code_of(body) if body.get('errors') else 'ok'}")
    grown = await metrics_size(targets.production) - before
    answer = f"{', '.join(sorted(codes))}; /metrics grew {grown} bytes"
    return Outcome(answer, clock.slowest, grown < 10_000)


async def huge_comments(targets: Targets) -> Outcome:
    comment = "#" + "x" * (15 * 2**20) + "\n{ me { id } }"
    clock = Clock()

    async def one() -> str:
        async with websockets.connect(
            targets.production.ws, subprotocols=[TRANSPORT_WS], max_size=None
        ) as ws:
            init = {"type": "connection_init", "payload": _auth(targets.token("mallory"))}
            await ws.send(json.dumps(init))
            await ws.recv()
            subscribe = {"id": "1", "type": "subscribe", "payload": {"query": comment}}
            try:
                await ws.send(json.dumps(subscribe))
                message = json.loads(await ws.recv())
            except websockets.ConnectionClosed as closed:
                return f"closed {closed.rcvd.code if closed.rcvd else 'without code'}"
            errors = message.get("payload") if message["type"] == "error" else None
            return f"{message['type']} {code_of({'errors': errors}) if errors else ''}".strip()

    answers = await asyncio.gather(*(clock.time(one()) for _ in range(16)))
    refused = all(a.startswith("closed 1009") or a.endswith("BAD_USER_INPUT") for a in answers)
    return Outcome(", ".join(sorted(set(answers))), clock.slowest, refused)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def expiring_token(targets: Targets) -> Outcome:
    ttl = 2
    token = targets.token("mallory", exp=int(time.time()) + ttl)
    expires = time.time() + ttl + targets.leeway_seconds
    async with websockets.connect(targets.production.ws, subprotocols=[TRANSPORT_WS]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": _auth(token)}))
        await ws.recv()
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed as closed:
            late = max(0.0, time.time() - expires)
            code = closed.rcvd.code if closed.rcvd else None
            reason = closed.rcvd.reason if closed.rcvd else ""
    return Outcome(f"closed {code} “{reason}”", late, code == 4401)


async def huge_header(targets: Targets) -> Outcome:
    began = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(targets.production))
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
    sent = 0
    chunk = b"a" * 2**20
    try:
        while sent < 128 * 2**20 and not reader.at_eof():
            writer.write(chunk)
            await asyncio.wait_for(writer.drain(), 5)
            sent += len(chunk)
        writer.write(b"\r\n\r\n")
        status = await asyncio.wait_for(reader.readline(), 5)
    except (ConnectionError, TimeoutError):
        status = b""
    seconds = time.perf_counter() - began
    writer.close()
    answer = status.decode().strip() or "connection closed"
    return Outcome(f"{answer} after {sent // 2**20} MiB sent", seconds, sent < 128 * 2**20)


def _port(target: Target) -> int:
    return int(target.url.rsplit(":", 1)[1])


async def slow_loris(targets: Targets) -> Outcome:
    began = time.perf_counter()

    async def one() -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", _port(targets.production))
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        try:
            while not reader.at_eof():
                writer.write(b"X-a: b\r\n")
                await writer.drain()
                with_data = await asyncio.wait_for(_closed_within(reader, 2.0), 120)
                if with_data:
                    break
        except (ConnectionError, TimeoutError):
            pass
        writer.close()
        return time.perf_counter() - began

    closed_after = await asyncio.gather(*(one() for _ in range(300)))
    return Outcome(
        f"300 slow sockets closed by the server after {max(closed_after):.1f} s at most",
        max(closed_after),
        max(closed_after) < 60,
    )


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(4096), seconds)
    except TimeoutError:
        return False
    return data == b"" or bool(data)


async def trickling_select(targets: Targets) -> Outcome:
    server = FakeImap("trickle", trickle_every=10.0)
    try:
        token = token_for("slowpoke")
        add = {"query": ADD, "variables": {"i": account_input("127.0.0.1", server.port)}}
        _, added = await post(targets.test, add, token)
        account = added["data"]["addEmailAccount"]["id"]
        _, started = await post(targets.test, {"query": START, "variables": {"id": account}}, token)
        task_id = started["data"]["startScan"]["taskId"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _selecting(server):
            await asyncio.sleep(0.1)
        cancelled_at = time.monotonic()
        await post(targets.test, {"query": CANCEL, "variables": {"id": task_id}}, token)
        while time.monotonic() < cancelled_at + 30 and not _closed(server):
            await asyncio.sleep(0.05)
        closed = _closed(server)
    finally:
        server.stop()
    if not closed:
        return Outcome("the worker kept the IMAP socket 30 s after cancel", 30.0, False)
    seconds = min(closed) - cancelled_at
    return Outcome(f"IMAP socket closed {seconds:.1f} s after cancelScan", seconds, True)


def _selecting(server: FakeImap) -> bool:
    return any(
        b"SELECT" in line or b"EXAMINE" in line for c in server.connections for line in c.lines
    )


def _closed(server: FakeImap) -> list[float]:
    return [c.closed_at for c in server.connections if c.closed_at is not None]


async def silent_servers(targets: Targets) -> Outcome:
    stack = targets.stack
    stack.dovecot.add_user("patient@example.com", "pw")
    server = FakeImap("silent")
    try:
        hostile = [
            asyncio.create_task(
                post(
                    targets.test,
                    {
                        "query": ADD,
                        "variables": {"i": account_input("127.0.0.1", server.port, verify=True)},
                    },
                    token_for(f"stalling{n}"),
                )
            )
            for n in range(6)
        ]
        await asyncio.sleep(0.5)
        clock = Clock()
        honest = account_input(
            "127.0.0.1", stack.ports.imap, email="patient@example.com", verify=True
        )
        status, body = await clock.time(
            post(targets.test, {"query": ADD, "variables": {"i": honest}}, token_for("patient"))
        )
        await asyncio.gather(*hostile, return_exceptions=True)
    finally:
        server.stop()
    ok = not body.get("errors")
    return Outcome(f"seventh user: {status} {'ok' if ok else code_of(body)}", clock.slowest, ok)


async def foreign_banner(targets: Targets) -> Outcome:
    server = FakeImap("banner")
    try:
        clock = Clock()
        hostile = account_input("127.0.0.1", server.port, verify=True)
        payload = {"query": ADD, "variables": {"i": hostile}}
        status, body = await clock.time(post(targets.test, payload, token_for("curious")))
    finally:
        server.stop()
    message = (body.get("errors") or [{}])[0].get("message", "")
    quoted = any(part in message for part in ("hunter2", "SSH", "secret"))
    answer = f"{status} {code_of(body)}: “{message}”"
    return Outcome(answer, clock.slowest, code_of(body) == "BAD_USER_INPUT" and not quoted)


async def embedded_private_addresses(targets: Targets) -> Outcome:
    clock = Clock()
    codes = []
    for host in (
        "64:ff9b::a9fe:a9fe",
        "::127.0.0.1",
        "fec0::1",
        "2002:7f00:1::1",
        "::ffff:10.0.0.1",
    ):
        payload = {"query": ADD, "variables": {"i": account_input(host, 993)}}
        _, body = await clock.time(post(targets.production, payload, targets.token("mallory")))
        codes.append(code_of(body))
    return Outcome(
        f"5 hosts: {', '.join(sorted(set(codes)))}",
        clock.slowest,
        codes == ["BAD_USER_INPUT"] * 5,
    )


async def command_injection(targets: Targets) -> Outcome:
    clock = Clock()
    hostile = account_input(
        "127.0.0.1", targets.stack.ports.imap, username="u\r\nX1 DELETE INBOX", verify=True
    )
    _, body = await clock.time(
        post(targets.test, {"query": ADD, "variables": {"i": hostile}}, token_for("injector"))
    )
    argument = ((body.get("errors") or [{}])[0].get("extensions") or {}).get("argument")
    return Outcome(
        f"{code_of(body)} (argument {argument})", clock.slowest, code_of(body) == "BAD_USER_INPUT"
    )


async def malformed_requests(targets: Targets) -> Outcome:
    target = targets.production
    token = targets.token("mallory")
    tracebacks_before = _tracebacks(target.log)
    wrong_type = {
        "query": "query($n: Int!) { myTasks(first: $n) { totalCount } }",
        "variables": {"n": "abc"},
    }
    missing = {"query": "query($n: Int!) { myTasks(first: $n) { totalCount } }"}
    unknown_field = {"query": ADD, "variables": {"i": {**account_input("h", 1), "nope": 1}}}
    deep_cursor = {
        "query": "query($c: String) { myTasks(after: $c) { totalCount } }",
        "variables": {"c": "[" * 100_000},
    }
    bodies: list[bytes | dict[str, Any]] = [
        wrong_type,
        missing,
        unknown_field,
        deep_cursor,
        b"null",
        b"1",
        b"\xff\xfe{",
        b"{",
    ]
    clock = Clock()
    answers = []
    for body in bodies:
        status, answer = await clock.time(post(target, body, token))
        answers.append((status, code_of(answer)))
    tracebacks = _tracebacks(target.log) - tracebacks_before
    good = all(code == "BAD_USER_INPUT" for _, code in answers) and tracebacks == 0
    shown = ", ".join(sorted({f"{s} {c}" for s, c in answers}))
    return Outcome(
        f"{len(bodies)} requests: {shown}; {tracebacks} tracebacks logged", clock.slowest, good
    )


def _tracebacks(log: Path) -> int:
    return log.read_text(errors="replace").count("Traceback") if log.exists() else 0


async def legacy_protocol(targets: Targets) -> Outcome:
    clock = Clock()
    try:
        async with await clock.time(
            websockets.connect(targets.production.ws, subprotocols=[LEGACY_WS])
        ) as ws:
            chosen: str | None = ws.subprotocol
            if chosen is None:  # accepted without a subprotocol, to say why it closes
                try:
                    await asyncio.wait_for(ws.recv(), 5)
                except websockets.ConnectionClosed as closed:
                    chosen = f"closed {closed.rcvd.code if closed.rcvd else 'without code'}"
    except websockets.InvalidStatus as refused:
        chosen = f"refused {refused.response.status_code}"
    except websockets.InvalidHandshake as refused:
        chosen = f"refused ({type(refused).__name__})"
    async with websockets.connect(
        targets.production.ws, subprotocols=[LEGACY_WS, TRANSPORT_WS]
    ) as ws:
        negotiated = ws.subprotocol
    answer = f"graphql-ws alone: {chosen}; both offered: {negotiated}"
    return Outcome(answer, clock.slowest, chosen == "closed 4406" and negotiated == TRANSPORT_WS)


async def forged_tokens(targets: Targets) -> Outcome:
    clock = Clock()
    year_9999 = targets.token("mallory", exp=253402300799)
    foreign = targets.token("mallory", iss="another-system")
    codes = []
    for token in (year_9999, foreign):
        _, body = await clock.time(post(targets.production, {"query": "{ me { id } }"}, token))
        codes.append(code_of(body))
    return Outcome(
        f"exp 9999: {codes[0]}; foreign iss: {codes[1]}",
        clock.slowest,
        codes == ["UNAUTHENTICATED", "UNAUTHENTICATED"],
    )


async def production_introspection(targets: Targets) -> Outcome:
    clock = Clock()
    _, body = await clock.time(
        post(targets.production, {"query": "{ __schema { types { name } } }"})
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(
            targets.production.graphql, headers={"accept": "text/html"}
        ) as response:
            page = await response.text()
            ide_status = response.status
    ide = "graphiql" in page.lower()
    answer = f"introspection {code_of(body)}; GraphiQL page {ide_status}{' served' if ide else ''}"
    return Outcome(answer, clock.slowest, bool(body.get("errors")) and not ide)


async def account_flood(targets: Targets) -> Outcome:
    token = token_for("hoarder")
    clock = Clock()
    payload = {"query": ADD, "variables": {"i": account_input("127.0.0.1", 993)}}
    answers = await asyncio.gather(
        *(clock.time(post(targets.test, payload, token)) for _ in range(200))
    )
    stored = sum(1 for _, body in answers if not body.get("errors"))
    limited = sum(1 for _, body in answers if code_of(body) == "RATE_LIMITED")
    quota = default("QUOTA_ACCOUNTS_PER_USER")
    return Outcome(
        f"{stored} stored, {limited} RATE_LIMITED (quota {quota})",
        clock.slowest,
        stored <= quota and stored + limited == 200,
    )


async def subscription_flood(targets: Targets) -> Outcome:
    token = token_for("listener")
    subscribe = {"query": "subscription { myTaskUpdates { id } }"}
    clock = Clock()
    sockets, closed_codes = [], []
    try:
        for _ in range(100):
            ws = await websockets.connect(targets.test.ws, subprotocols=[TRANSPORT_WS])
            await ws.send(json.dumps({"type": "connection_init", "payload": _auth(token)}))
            try:
                await clock.time(ws.recv())
            except websockets.ConnectionClosed as closed:
                closed_codes.append(closed.rcvd.code if closed.rcvd else None)
                continue
            sockets.append(ws)
            for n in range(20):
                message = {"id": str(n), "type": "subscribe", "payload": subscribe}
                await ws.send(json.dumps(message))
        await asyncio.sleep(1.0)
        refused = sum([await _errors_on(ws) for ws in sockets])
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    open_subscriptions = 20 * len(sockets) - refused
    socket_quota = default("QUOTA_SOCKETS_PER_USER")
    subscription_quota = default("QUOTA_SUBSCRIPTIONS_PER_USER")
    answer = (
        f"{len(sockets)} sockets open, {len(closed_codes)} closed "
        f"{'/'.join(sorted({str(c) for c in closed_codes}))}; {open_subscriptions} subscriptions "
        f"open, {refused} RATE_LIMITED (quotas {socket_quota} and {subscription_quota})"
    )
    within = len(sockets) <= socket_quota and open_subscriptions <= subscription_quota
    return Outcome(answer, clock.slowest, within and set(closed_codes) <= {4429})


async def _errors_on(ws: Any) -> int:
    """The subscribes refused on `ws`: an `error` message, or a `next` carrying RATE_LIMITED
    (a refusal raised where the subscription starts)."""
    errors = 0
    while True:
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), 0.05))
        except (TimeoutError, websockets.ConnectionClosed):
            return errors
        payload = message.get("payload")
        errors += message.get("type") == "error" or (
            message.get("type") == "next" and code_of(payload or {}) == "RATE_LIMITED"
        )


def default(name: str) -> int:
    """A setting's default: the attacked APIs run with the default quotas (bench/attacks.py),
    not with this process's, which the benchmarks' environment lifts."""
    value = Settings.model_fields[name].default
    assert isinstance(value, int)
    return value


REPLAYS = [
    Replay("1", "fragments 10 levels deep, 8 spreads each, no token", fragment_bomb),
    Replay("1b", "450 fields of one name (8 KB, quadratic validation), no token", same_name_fields),
    Replay("2", "email `a@` + 64,000 dots + `@`", email_backtracking),
    Replay("3", "40 operation names of 200,000 letters, no token", operation_names),
    Replay("4", "16 websocket subscribes with a 15 MiB comment", huge_comments, limit_seconds=5),
    Replay("6", "websocket token expires while open", expiring_token),
    Replay("7a", "one 128 MiB request header, no token", huge_header),
    Replay("7b", "300 slow-loris sockets, no token", slow_loris, limit_seconds=60),
    Replay(
        "8",
        "IMAP server trickles SELECT, then cancelScan",
        trickling_select,
        production=False,
        limit_seconds=2,
    ),
    Replay(
        "9", "six verifies against a server that never greets", silent_servers, production=False
    ),
    Replay("10", "verify against a non-IMAP server's banner", foreign_banner, production=False),
    Replay(
        "11", "NAT64, IPv4-compatible, site-local, 6to4, mapped hosts", embedded_private_addresses
    ),
    Replay("12", "username with CR LF and a second command", command_injection, production=False),
    Replay(
        "13",
        "bad variables, a 100,000-bracket cursor, bodies null/1/invalid UTF-8",
        malformed_requests,
    ),
    Replay("14", "legacy graphql-ws subprotocol", legacy_protocol),
    Replay("15", "tokens with exp in 9999 or a foreign iss", forged_tokens),
    Replay("16", "introspection and GraphiQL in production, no token", production_introspection),
    Replay(
        "17a",
        "one user adds 200 accounts at once",
        account_flood,
        production=False,
        limit_seconds=5,
    ),
    Replay("17b", "100 sockets × 20 subscriptions, one user", subscription_flood, production=False),
]
