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
import threading
from pathlib import Path
from urllib.parse import urlparse

import psutil
import redis

CLAIM_KEY = "invoicescan:dev:claim"
CLAIM_TTL_SECONDS = 15
CLAIM_RENEW_SECONDS = 5.0


_RENEW_IF_OURS = """
local held = redis.call('GET', KEYS[1])
if held == false or held == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""
_DELETE_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class DevConflict(Exception):
    """Something this instance needs is in use by another; the message is the line to print."""


def ensure_port_free(host: str, port: int, setting: str) -> None:
    """Raise DevConflict when host:port cannot be bound because another process listens there."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise DevConflict(f"host {host} ({setting}) is no address here: {exc.strerror}") from None
    with socket.socket(family, kind) as probe:
        # As uvicorn and the store bind: a port in TIME_WAIT is free, a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
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
        # Compare and set in one step: between a GET and a SET another instance may claim.
        self._renew = self._client.register_script(_RENEW_IF_OURS)
        self._release = self._client.register_script(_DELETE_IF_OURS)
        self._stopped = threading.Event()
        self._keeper: threading.Thread | None = None
        # Set when another instance took the server while this one ran.
        self.lost = threading.Event()

    def claim(self) -> None:
        """Take the server, or raise DevConflict naming the instance that holds it. Once taken,
        a thread renews the claim until `release` (startup alone may outlast its lifetime)."""
        if self._client.set(CLAIM_KEY, self._value, nx=True, ex=CLAIM_TTL_SECONDS):
            self._keep_renewing()
            return
        raw = self._client.get(CLAIM_KEY)
        holder = json.loads(raw) if raw else {}
        if raw is None or holder.get("data_dir") == self.data_dir or _dead(holder):
            # Gone meanwhile, our own DATA_DIR (a run that was killed), or a dead process here.
            self._client.set(CLAIM_KEY, self._value, ex=CLAIM_TTL_SECONDS)
            self._keep_renewing()
            return
        raise DevConflict(
            f"the Redis at REDIS_URL {self.url} is in use by another invoicescan dev "
            f"(DATA_DIR {holder.get('data_dir')}, pid {holder.get('pid')}); set REDIS_URL to a "
            "free port, where dev starts a Redis of its own"
        )

    def _keep_renewing(self) -> None:
        if self._keeper is None:
            self._keeper = threading.Thread(target=self._keep, name="redis-claim", daemon=True)
            self._keeper.start()

    def renew(self) -> bool:
        """Keep the claim alive; False when another instance holds it now (ours lapsed while
        this one could not renew). A Redis that does not answer is left to the workers' logs."""
        try:
            return bool(self._renew(keys=[CLAIM_KEY], args=[self._value, CLAIM_TTL_SECONDS]))
        except redis.RedisError:
            return True

    def _keep(self) -> None:
        while not self._stopped.wait(CLAIM_RENEW_SECONDS):
            if not self.renew():
                self.lost.set()
                return

    def release(self) -> None:
        """Stop renewing, and remove the claim if it is still ours."""
        self._stopped.set()
        if self._keeper is not None:
            self._keeper.join(timeout=CLAIM_RENEW_SECONDS)
        with contextlib.suppress(redis.RedisError):
            self._release(keys=[CLAIM_KEY], args=[self._value])
        self._client.close()


def _dead(holder: dict[str, object]) -> bool:
    """Whether the claim's process was on this machine and is gone."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    return not psutil.pid_exists(pid)
