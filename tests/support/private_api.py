"""An API process of a test's own, with settings of its own (short timeouts, small quotas), on
the session's Redis and store."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.processes import uvicorn_args, wait_for_port
from tests.support.services import free_port


@dataclass
class PrivateApi:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def private_api(log_dir: Path, **settings: str) -> Iterator[PrivateApi]:
    """uvicorn as every place starts it (core.processes.uvicorn_args), with `settings` added to
    its environment; stopped on exit."""
    port = free_port()
    log = log_dir / f"api-{port}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", *uvicorn_args("127.0.0.1", port)],
            env={**os.environ, **settings},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port("127.0.0.1", port, 30, process)
        yield PrivateApi(f"http://127.0.0.1:{port}", process, log)
    finally:
        process.terminate()
        process.wait(20)
