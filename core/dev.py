"""`invoicescan dev`: everything one developer needs, in one terminal.

Starts the embedded store when MONGODB_URL is unset, a redis-server under DATA_DIR when nothing
answers at REDIS_URL, then one worker process, an OCR worker when Tesseract is there (else one
line says why OCR is off, and scans count scanned documents unread), beat and the API. Ctrl-C
or SIGTERM stops every child, newest first. It refuses, with one line and exit code 1, to start
beside another instance: a taken store or API port, or a Redis another instance has claimed
(`dev_guard`).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType
from urllib.parse import urlparse

from core.auth import issue_token
from core.dev_guard import DevConflict, RedisClaim, ensure_port_free
from core.processes import (
    ChildProcesses,
    celery_beat_args,
    celery_worker_args,
    ocr_worker_args,
    port_open,
    redis_server_argv,
    uvicorn_args,
    wait_for_port,
)
from core.settings import Settings

DEV_ADMIN_TOKEN_TTL = 7 * 24 * 3600

log = logging.getLogger(__name__)


def run_dev(settings: Settings, *, host: str, port: int) -> int:
    """Run the local stack until a signal or a child's death; the exit code."""
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    children = ChildProcesses()
    stop = threading.Event()
    claim = RedisClaim(settings.REDIS_URL, settings.DATA_DIR)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # HUP: the terminal closed
        signal.signal(signum, on_signal)
    try:
        _start_stores(settings, children, claim, host, port)
        children.python("worker", *celery_worker_args(1, "email_scanning", "dev@%h"))
        _start_ocr_worker(settings, children)
        children.python("beat", *celery_beat_args())
        api = children.python("api", *uvicorn_args(host, port))
        wait_for_port(host, port, 60, api)
        _print_banner(host, port, settings.JWT_MAX_LIFETIME_SECONDS)
        while not stop.wait(0.5):
            if claim.lost.is_set():
                print(
                    "invoicescan dev: another invoicescan dev took the Redis at REDIS_URL "
                    f"{settings.REDIS_URL} while this one could not renew its claim; stopping",
                    file=sys.stderr,
                )
                return 1
            exited = children.first_exited()
            if exited:
                print(f"invoicescan dev: {exited[0]} exited with {exited[1]}", file=sys.stderr)
                return 1
        return 0
    except DevConflict as conflict:
        print(f"invoicescan dev: {conflict}", file=sys.stderr)
        return 1
    finally:
        children.stop_all()
        claim.release()


def _start_ocr_worker(settings: Settings, children: ChildProcesses) -> None:
    """An OCR worker when this machine can run OCR; otherwise one line saying why not."""
    from scanner.ocr import ocr_unavailable  # the OCR reader loads only where it is used

    why = ocr_unavailable()
    if why is not None:
        log.warning("%s Scanned documents are counted unread (errorCount).", why)
        return
    children.python("ocr-worker", *ocr_worker_args(settings.OCR_WORKER_CONCURRENCY, "ocr-dev@%h"))


def _start_stores(
    settings: Settings, children: ChildProcesses, claim: RedisClaim, host: str, port: int
) -> None:
    """Start what is missing of the store and Redis, after checking that no other instance holds
    the ports this one serves on or the Redis it would use."""
    if settings.uses_embedded_store:
        ensure_port_free(settings.LOCALDB_HOST, settings.LOCALDB_PORT, "LOCALDB_PORT")
    ensure_port_free(host, port, "--port")
    redis_url = urlparse(settings.REDIS_URL)
    redis_host, redis_port = redis_url.hostname or "127.0.0.1", redis_url.port or 6379
    redis_running = port_open(redis_host, redis_port)
    if redis_running:
        claim.claim()
    if settings.uses_embedded_store:
        store = children.python("localdb", "core.cli", "localdb")
        wait_for_port(settings.LOCALDB_HOST, settings.LOCALDB_PORT, 30, store)
    if not redis_running:
        redis = children.start(
            "redis", redis_server_argv(redis_host, redis_port, settings.DATA_DIR / "redis")
        )
        wait_for_port(redis_host, redis_port, 30, redis)
        claim.claim()  # another instance may have started one there meanwhile


def _print_banner(host: str, port: int, max_lifetime: int) -> None:
    # No token may outlive JWT_MAX_LIFETIME_SECONDS (a day unless set); issue_token caps it.
    ttl = min(DEV_ADMIN_TOKEN_TTL, max_lifetime)
    token = issue_token("dev-admin", admin=True, ttl_seconds=ttl)
    print(
        f"\ninvoicescan is up.\n  GraphiQL:  http://{host}:{port}/graphql\n"
        f"  Dev admin token ({ttl / 3600:g} h); in GraphiQL's headers:\n"
        f'  {{"Authorization": "Bearer {token}"}}\n',
        flush=True,
    )
