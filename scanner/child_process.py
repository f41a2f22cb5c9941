"""A helper process at arm's length: requests and answers as length-prefixed frames on its
stdin and stdout, each answer awaited within a deadline.

C libraries that read hostile files (PDFium, Tesseract and Leptonica) run in such a child, held
to an address-space limit it sets on itself before its first request: what they allocate, loop
on or crash with costs the child, never the worker. `pdf_sandbox` and `scanner.ocr.sandbox` keep
one child per worker process and start another when one dies or overruns.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, BinaryIO

LENGTH = struct.Struct(">I")


class ChildProcess:
    """`python -m module *args` with pipes to it; started at once, owned by the process that
    started it (a forked copy must not use it)."""

    def __init__(self, module: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.owner = os.getpid()
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # the C library's warnings about damaged files
            env={**os.environ, **env} if env else None,
        )

    def send(self, request: bytes) -> None:
        """Write one request (already framed)."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(request)
        stdin.flush()

    def ask(self, request: bytes, seconds: float) -> bytes:
        """Send a request and wait for the answer; raises TimeoutError or EOFError."""
        self.send(request)
        return self.answer(seconds)

    def answer(self, seconds: float) -> bytes:
        """The next answer frame, within `seconds`; raises TimeoutError or EOFError."""
        deadline = time.monotonic() + seconds
        length = LENGTH.unpack(self._read(LENGTH.size, deadline))[0]
        return self._read(length, deadline)

    def _read(self, size: int, deadline: float) -> bytes:
        stdout = self.process.stdout
        assert stdout is not None
        chunks, missing = [], size
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([stdout], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(stdout.fileno(), missing)
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def alive(self) -> bool:
        """Whether the child still runs."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Kill the child if it runs, and close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.forget()

    def forget(self) -> None:
        """Close this process's ends of the pipes (a forked copy's, its child left alone)."""
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # a write the child never read
                    pipe.close()


def frame(payload: bytes) -> bytes:
    """`payload` with its length in front."""
    return LENGTH.pack(len(payload)) + payload


def write_frame(answers: BinaryIO, payload: bytes) -> None:
    """Send one answer frame from the child."""
    answers.write(frame(payload))
    answers.flush()


def read_request(requests: BinaryIO) -> tuple[dict[str, Any], bytes] | None:
    """The child's next request: its JSON header (which carries the payload's `size`) and the
    payload; None when the parent closed the pipe."""
    head = requests.read(LENGTH.size)
    if len(head) < LENGTH.size:
        return None
    request: dict[str, Any] = json.loads(requests.read(LENGTH.unpack(head)[0]))
    return request, requests.read(int(request["size"]))


def child_main(serve: Callable[[BinaryIO, BinaryIO], None]) -> None:
    """A child's entry point (python -m MODULE MEMORY_BYTES): its address space limited before
    it reads anything, then `serve` on its standard input and output."""
    memory = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    serve(sys.stdin.buffer, sys.stdout.buffer)
