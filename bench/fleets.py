"""The bench's side of `bench.ws_fleet`: start fleet processes and talk to them."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class FleetProcess:
    """One `python -m bench.ws_fleet` child; each call sends a command and awaits its answer."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    async def start(
        cls, ws_url: str, token: str, query: str, variables: dict[str, Any]
    ) -> FleetProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.ws_fleet",
            ws_url,
            token,
            query,
            json.dumps(variables),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            limit=1 << 28,  # the stats line holds every latency sample
        )
        return cls(process)

    async def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
        await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"fleet {self.pid} exited with {await self.process.wait()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def stop(self) -> None:
        if self.process.returncode is None:
            try:
                await asyncio.wait_for(self.call("close"), 30)
            except (TimeoutError, RuntimeError, BrokenPipeError, ConnectionResetError):
                self.process.kill()
            await self.process.wait()


class Fleets:
    """Several fleet processes used as one: subscribers are spread evenly over them."""

    def __init__(self, processes: list[FleetProcess]) -> None:
        self.processes = processes

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    @classmethod
    async def start(
        cls, count: int, ws_url: str, token: str, query: str, variables: dict[str, Any]
    ) -> Fleets:
        processes = [
            await FleetProcess.start(ws_url, token, query, variables) for _ in range(count)
        ]
        return cls(processes)

    async def each(self, cmd: str, **args: Any) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(p.call(cmd, **args) for p in self.processes)))

    async def open(self, count: int, concurrency: int) -> list[dict[str, Any]]:
        """Open `count` more subscribers, `concurrency` handshakes at a time per process."""
        share, extra = divmod(count, len(self.processes))
        return list(
            await asyncio.gather(
                *(
                    p.call("open", count=share + (n < extra), concurrency=concurrency)
                    for n, p in enumerate(self.processes)
                )
            )
        )

    async def stop(self) -> None:
        await asyncio.gather(*(p.stop() for p in self.processes))
