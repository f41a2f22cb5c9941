"""An API process of a test's own, for settings the session's API does not have (production mode,
CORS origins, a short JWT leeway, short HTTP deadlines, small quotas). It shares the session's
Redis and store, and the rest of the test environment (JWT_SECRET among it), so tokens issued by
the test process are valid there."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.processes import stop_process, uvicorn_args, wait_for_port
from tests.support.services import free_port


@dataclass(frozen=True)
class OwnApi:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def own_api(log_dir: Path, **env: str) -> Iterator[str]:
    """Run uvicorn with the test environment plus `env`; yield its base URL."""
    with own_api_process(log_dir, **env) as api:
        yield api.url


@contextlib.contextmanager
def own_api_process(log_dir: Path, **env: str) -> Iterator[OwnApi]:
    """As `own_api`, yielding the process and its log too (for its memory, or what it logged)."""
    port = free_port()
    log = log_dir / f"api-{port}.log"
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", *uvicorn_args("127.0.0.1", port)],
            env={**os.environ, **env},
            start_new_session=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            wait_for_port("127.0.0.1", port, 30, process)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}\n{log.read_text(errors='replace')[-3000:]}") from exc
        yield OwnApi(f"http://127.0.0.1:{port}", process, log)
    finally:
        stop_process(process)
