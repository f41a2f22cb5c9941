"""Start the real services a test session needs, as child processes on free ports."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from core.processes import (
    ChildProcesses,
    celery_beat_args,
    celery_worker_args,
    ocr_worker_args,
    redis_server_argv,
    stop_process,
    uvicorn_args,
    wait_for_port,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_log_line(
    log: Path, needle: str, process: subprocess.Popen[bytes], timeout: float
) -> None:
    """Wait until `needle` appears in the process's log file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and needle in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args!r} exited:\n{log.read_text(errors='replace')[-3000:]}"
            )
        time.sleep(0.1)
    raise TimeoutError(f"{needle!r} not in {log} after {timeout} s:\n{log.read_text()[-3000:]}")


@dataclass
class Worker:
    """A Celery worker process and its log."""

    process: subprocess.Popen[bytes]
    log: Path
    hostname: str = ""  # its Celery node name, e.g. for control commands

    def wait_for_task(self, task_id: str, timeout: float = 30) -> None:
        """Wait until the worker logs that task `task_id` finished (succeeded or raised)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if f"[{task_id}] succeeded" in text or f"[{task_id}] raised" in text:
                return
            time.sleep(0.1)
        raise TimeoutError(f"task {task_id} did not finish within {timeout} s")


def parent_of(pid: int) -> int:
    """The parent process id of `pid` (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise AssertionError(f"no parent for {pid}")


class Services:
    """The processes of one test session; stopped together at its end."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.children = ChildProcesses()

    def _log(self, name: str) -> Path:
        return self.base / f"{name}.log"

    def start_redis(self, port: int) -> None:
        process = self.children.start(
            "redis",
            redis_server_argv("127.0.0.1", port, self.base / "redis", persist=False),
            log=self._log("redis"),
        )
        wait_for_port("127.0.0.1", port, 20, process)

    def restart_redis(self, port: int, down_seconds: float = 1.0) -> None:
        """Kill Redis without a goodbye to its clients (SIGKILL, as a crash or an OOM kill),
        leave it down a moment, and start it again on the same port, empty."""
        for name, process in self.children.children:
            if name == "redis" and process.poll() is None:
                process.kill()
                process.wait()
        time.sleep(down_seconds)
        self.start_redis(port)

    def start_localdb(self, port: int) -> None:
        process = self.children.python(
            "localdb",
            "core.cli",
            "localdb",
            "--port",
            str(port),
            "--path",
            str(self.base / "localdb.sqlite3"),
            log=self._log("localdb"),
        )
        wait_for_port("127.0.0.1", port, 30, process)

    def start_worker(self, name: str, concurrency: int = 2, *, ocr: bool = False) -> Worker:
        """A scan worker, or with `ocr` an OCR worker (queue `ocr`), as `invoicescan worker`
        runs them."""
        log = self._log(f"worker-{name}")
        hostname = f"{name}@{socket.gethostname()}"
        if ocr:
            worker = ocr_worker_args(concurrency, hostname)
        else:
            worker = celery_worker_args(concurrency, "email_scanning", hostname)
        process = self.children.python(
            f"worker-{name}", *worker, "--without-gossip", "--without-mingle", log=log
        )
        wait_for_log_line(log, "ready.", process, 60)
        return Worker(process, log, hostname)

    def start_beat(self) -> subprocess.Popen[bytes]:
        """Celery beat with the schedule of tasks/celery_app.py, as `invoicescan beat` runs it;
        its schedule lives in memory, so every interval entry is first due one interval after
        this call."""
        log = self._log("beat")
        process = self.children.python("beat", *celery_beat_args(), log=log)
        wait_for_log_line(log, "beat: Starting...", process, 30)
        return process

    def stop_child(self, process: subprocess.Popen[bytes]) -> None:
        """Stop one child before the session ends (SIGTERM, then its session is killed)."""
        stop_process(process)
        self.children.children = [(n, p) for n, p in self.children.children if p is not process]

    def start_api(self, port: int) -> None:
        process = self.children.python(
            "api", *uvicorn_args("127.0.0.1", port), log=self._log("api")
        )
        wait_for_port("127.0.0.1", port, 30, process)

    def stop(self) -> None:
        self.children.stop_all()
