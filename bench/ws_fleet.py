"""A fleet of websocket subscribers in a process of its own: `python -m bench.ws_fleet`.

The fan-out benchmark starts a few of these so that receiving tens of thousands of messages a
second does not share an event loop (or a GIL) with the bench itself. Each subscriber is one
graphql-transport-ws connection with one subscription, as a browser tab has. The fleet reads
commands as JSON lines on stdin and answers each with one JSON line on stdout.

Each event the bench publishes carries `bench <seq> <unix time sent>` in `currentStatus`, so the
receipt latency is taken right here from the raw frame (time.time() is the same clock in every
process of the machine) without decoding the JSON: the client stays cheap.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from array import array
from typing import Any

import aiohttp

MARKER = "bench "
PROTOCOL = "graphql-transport-ws"


class Subscriber:
    """One connection: how many events it got in the current phase and the newest seq seen."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.count = 0
        self.last_seq = 0
        self.ended: str | None = None


class Fleet:
    def __init__(self, url: str, token: str, query: str, variables: dict[str, Any]) -> None:
        self.url = url
        self.token = token
        self.subscribe = json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
        self.subscribers: list[Subscriber] = []
        self.latencies = array("d")
        self.failures: dict[str, int] = {}
        self.session: aiohttp.ClientSession | None = None
        self.readers: set[asyncio.Task[None]] = set()

    async def connect_one(self, gate: asyncio.Semaphore) -> None:
        assert self.session is not None
        ws: aiohttp.ClientWebSocketResponse | None = None
        async with gate:
            try:
                ws = await self.session.ws_connect(
                    self.url,
                    protocols=(PROTOCOL,),
                    max_msg_size=0,
                    compress=15,  # offer permessage-deflate, as browsers do
                    timeout=aiohttp.ClientWSTimeout(ws_close=5),
                )
                payload = {"Authorization": f"Bearer {self.token}"}
                await ws.send_str(json.dumps({"type": "connection_init", "payload": payload}))
                ack = json.loads((await ws.receive(timeout=60)).data)
                if ack.get("type") != "connection_ack":
                    raise RuntimeError(f"no ack: {ack}")
                await ws.send_str(self.subscribe)
                snapshot = json.loads((await ws.receive(timeout=60)).data)
                if snapshot.get("type") != "next":
                    raise RuntimeError(f"no snapshot: {snapshot}")
            except Exception as exc:  # counted and reported: a refused socket is a result
                name = type(exc).__name__
                self.failures[name] = self.failures.get(name, 0) + 1
                if ws is not None:
                    await ws.close()
                return
        subscriber = Subscriber(ws)
        self.subscribers.append(subscriber)
        reader = asyncio.create_task(self.read(subscriber))
        self.readers.add(reader)
        reader.add_done_callback(self.readers.discard)

    async def read(self, subscriber: Subscriber) -> None:
        latencies = self.latencies
        async for message in subscriber.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            received = time.time()
            text: str = message.data
            at = text.find(MARKER)
            if at < 0:
                if '"complete"' in text or '"error"' in text:
                    subscriber.ended = text[:200]
                continue
            seq, sent = text[at + len(MARKER) : text.index('"', at)].split()
            latencies.append((received - float(sent)) * 1000)
            subscriber.count += 1
            subscriber.last_seq = int(seq)
        subscriber.ended = subscriber.ended or "closed"

    async def open(self, count: int, concurrency: int) -> dict[str, Any]:
        if self.session is None:
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        began = time.perf_counter()
        gate = asyncio.Semaphore(concurrency)
        await asyncio.gather(*(self.connect_one(gate) for _ in range(count)))
        return {
            "open": self.alive(),
            "failures": self.failures,
            "seconds": time.perf_counter() - began,
        }

    def alive(self) -> int:
        return sum(subscriber.ended is None for subscriber in self.subscribers)

    def reset(self) -> dict[str, Any]:
        del self.latencies[:]  # in place: the readers hold this array
        for subscriber in self.subscribers:
            subscriber.count = 0
        return {"open": self.alive()}

    def progress(self, seq: int) -> dict[str, Any]:
        caught_up = sum(subscriber.last_seq >= seq for subscriber in self.subscribers)
        return {"caught_up": caught_up, "open": self.alive()}

    def stats(self) -> dict[str, Any]:
        ended = [s.ended for s in self.subscribers if s.ended is not None]
        return {
            "latencies": [round(value, 3) for value in self.latencies],
            "counts": [subscriber.count for subscriber in self.subscribers],
            "open": self.alive(),
            "ended": ended[:3],
        }

    async def close(self) -> dict[str, Any]:
        await asyncio.gather(
            *(s.ws.close() for s in self.subscribers if not s.ws.closed), return_exceptions=True
        )
        if self.session is not None:
            await self.session.close()
        return {"closed": len(self.subscribers)}


async def serve(fleet: Fleet) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            await fleet.close()
            return
        command = json.loads(line)
        match command["cmd"]:
            case "open":
                answer = await fleet.open(command["count"], command["concurrency"])
            case "reset":
                answer = fleet.reset()
            case "progress":
                answer = fleet.progress(command["seq"])
            case "stats":
                answer = fleet.stats()
            case "close":
                answer = await fleet.close()
            case other:
                answer = {"error": f"unknown command {other}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if command["cmd"] == "close":
            return


def main() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    url, token, query, variables = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    try:
        import uvloop
    except ImportError:  # uvloop comes with uvicorn[standard]; plain asyncio works too
        asyncio.run(serve(Fleet(url, token, query, variables)))
    else:
        uvloop.run(serve(Fleet(url, token, query, variables)))


if __name__ == "__main__":
    main()
