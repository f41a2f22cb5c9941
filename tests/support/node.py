"""The Node scripts of tests/clients/ (real JavaScript clients, headless Chromium), run as a test's
child process and spoken to in JSON lines: a command per stdin line, an event per stdout line."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from typing import Any

from tests.support.paths import ROOT

CLIENTS = ROOT / "tests" / "clients"

Event = dict[str, Any]


class NodeScript:
    """One run of `node tests/clients/<script> <args>`, stopped when the block ends."""

    def __init__(self, script: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.argv = [str(CLIENTS / script), *args]
        self.env = {**os.environ, **(env or {})}
        self.events: list[Event] = []
        self._stderr = tempfile.TemporaryFile()
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> NodeScript:
        node = shutil.which("node")
        assert node, "these tests need Node.js 20+ (node and npm on PATH)"
        assert (CLIENTS / "node_modules").is_dir(), "run `make test` or `npm ci` in tests/clients"
        self._process = await asyncio.create_subprocess_exec(
            node,
            *self.argv,
            cwd=CLIENTS,
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._stderr,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
        self._stderr.close()

    @property
    def process(self) -> asyncio.subprocess.Process:
        assert self._process is not None, "not started"
        return self._process

    async def send(self, command: Event) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()

    async def read(self, timeout: float) -> Event:
        """The next event, within `timeout` seconds."""
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        except TimeoutError:
            raise AssertionError(f"no event within {timeout} s; so far: {self.events}") from None
        if not line:
            raise AssertionError(f"the script ended; events: {self.events}\n{self.stderr()}")
        event: Event = json.loads(line)
        self.events.append(event)
        return event

    async def read_until(self, done: Callable[[Event], bool], timeout: float) -> list[Event]:
        """Events up to and including the first for which `done` holds, within `timeout` s."""
        deadline = time.monotonic() + timeout
        read: list[Event] = []
        while True:
            read.append(await self.read(max(deadline - time.monotonic(), 0.01)))
            if done(read[-1]):
                return read

    async def finish(self, timeout: float = 30) -> list[Event]:
        """Close stdin and return the events left once the script has exited, successfully."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        rest: list[Event] = []
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while line := await self.process.stdout.readline():
                rest.append(json.loads(line))
            code = await self.process.wait()
        self.events.extend(rest)
        assert code == 0, f"exit {code}\n{self.stderr()}"
        return rest

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-3000:]
