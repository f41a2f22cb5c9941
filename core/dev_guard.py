"""What `invoicescan dev` refuses to share with another running instance.

Two developers' instances, each with its own DATA_DIR, must not meet in one port or one Redis:
the second would use the first one's store, or its workers would take the other's scans, without
a word. Each refusal is one line naming what is taken, the setting to change and, where the
machine tells, who holds it.

A Redis carries its users' Celery queues and pub/sub channels (channels span all database
numbers), so an instance claims the whole server: a key in database 0 naming its DATA_DIR,
renewed while it runs and removed when it stops.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import psutil
import redis

CLAIM_KEY = "invoicescan:dev:claim"
CLAIM_TTL_SECONDS = 15
CLAIM_RENEW_SECONDS = 5.0


class DevConflict(Exception):
    """Something this instance needs is in use by another; the message is the line to print."""


def ensure_port_free(host: str, port: int, setting: str) -> None:
    """Raise DevConflict when host:port cannot be bound because another process listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As uvicorn and the store bind: a port in TIME_WAIT is free, a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
    holder = port_holder(port)
    held = f" by {holder}" if holder else ""
    remedy = f"pass {setting} with" if setting.startswith("--") else f"set {setting} to"
    raise DevConflict(
        f"port {port} on {host} ({setting}) is already in use{held}; "
        f"{remedy} a free port, or stop that process"
    )


def port_holder(port: int) -> str | None:
    """The process listening on `port`, as "pid N (command line)", where the OS tells us."""
    try:
        connections = psutil.net_connections(kind="inet")
    except psutil.Error:
        return None
    for connection in connections:
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
            if connection.pid is None:
                return None  # another user's process: not ours to see
            return _describe(connection.pid)
    return None


def _describe(pid: int) -> str:
    try:
        command = " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return f"pid {pid}"
    return f"pid {pid} ({command[:120]})" if command else f"pid {pid}"


class RedisClaim:
    """This instance's claim on the Redis server at `url` (see the module's notes)."""

    def __init__(self, url: str, data_dir: Path) -> None:
        parsed = urlparse(url)
        self.url = url
        self.data_dir = str(data_dir.resolve())
        self._client = redis.Redis(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            username=parsed.username,
            password=parsed.password,
            db=0,
            socket_timeout=5,
            ssl=parsed.scheme == "rediss",
        )
        self._value = json.dumps(
            {"data_dir": self.data_dir, "pid": os.getpid(), "host": socket.gethostname()}
        )

    def claim(self) -> None:
        """Take the server, or raise DevConflict naming the instance that holds it."""
        if self._client.set(CLAIM_KEY, self._value, nx=True, ex=CLAIM_TTL_SECONDS):
            return
        raw = self._client.get(CLAIM_KEY)
        holder = json.loads(raw) if raw else {}
        if raw is None or holder.get("data_dir") == self.data_dir or _dead(holder):
            # Gone meanwhile, our own DATA_DIR (a run that was killed), or a dead process here.
            self._client.set(CLAIM_KEY, self._value, ex=CLAIM_TTL_SECONDS)
            return
        raise DevConflict(
            f"the Redis at REDIS_URL {self.url} is in use by another invoicescan dev "
            f"(DATA_DIR {holder.get('data_dir')}, pid {holder.get('pid')}); set REDIS_URL to a "
            "free port, where dev starts a Redis of its own"
        )

    def renew(self) -> None:
        """Keep the claim alive; a Redis that does not answer now is left to the workers' logs."""
        with contextlib.suppress(redis.RedisError):
            self._client.set(CLAIM_KEY, self._value, ex=CLAIM_TTL_SECONDS)

    def release(self) -> None:
        """Remove the claim if it is still ours."""
        with contextlib.suppress(redis.RedisError):
            if self._client.get(CLAIM_KEY) == self._value.encode():
                self._client.delete(CLAIM_KEY)
        self._client.close()


def _dead(holder: dict[str, object]) -> bool:
    """Whether the claim's process was on this machine and is gone."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    return not psutil.pid_exists(pid)
