"""Session-wide services: a private Redis, the embedded store (or MONGODB_URL), Dovecot, a Celery
worker and the API under uvicorn. The environment is set here, before any project import reads
the settings; a missing service fails the test run, it never skips."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from redis.asyncio import Redis

from tests.support.environment import prepare_environment, uses_real_mongodb
from tests.support.services import Services, Worker

BASE, PORTS = prepare_environment("invoicescan-tests-")
# Short, so a test can see a silent subscription read the store again (default 60 s).
os.environ["SUBSCRIPTION_QUIET_REREAD_SECONDS"] = "2"
# Scans of more than 400 messages are split into parts (default 1,000), so the tests' larger
# mailboxes (900 messages across a Redis restart in tests/e2e/test_redis_restart.py, 1,000 in
# tests/e2e/test_split_scan.py) are read as split scans spread over the worker's processes;
# the smaller ones still in one go.
os.environ["SCAN_PART_MESSAGES"] = "400"
USE_REAL_MONGODB = uses_real_mongodb()


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    running = Services(BASE)
    try:
        yield running
    finally:
        running.stop()
        shutil.rmtree(BASE, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url(services: Services) -> str:
    services.start_redis(PORTS.redis)
    return os.environ["REDIS_URL"]


@pytest.fixture(scope="session")
async def database(services: Services) -> AsyncIterator[object]:
    """Beanie initialised in the test process against the embedded store or MONGODB_URL."""
    if not USE_REAL_MONGODB:
        services.start_localdb(PORTS.localdb)
    from core.database import connect_database

    client = await connect_database()
    yield client
    if USE_REAL_MONGODB:
        await client.drop_database(os.environ["MONGODB_DB"])
    await client.close()


@pytest.fixture(scope="session")
def dovecot(services: Services) -> Iterator[object]:
    from tests.support.dovecot import Dovecot

    server = Dovecot(base=BASE / "dovecot", port=PORTS.imap)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def worker(services: Services, redis_url: str, database: object) -> Worker:
    return services.start_worker("test-worker", concurrency=2)


@pytest.fixture(scope="session")
def ocr_worker(services: Services, redis_url: str, database: object) -> Worker:
    """A worker on the `ocr` queue, one process, as `invoicescan worker --queues ocr` runs it."""
    return services.start_worker("test-ocr-worker", concurrency=1, ocr=True)


@pytest.fixture(scope="session")
def api_url(services: Services, redis_url: str, database: object) -> str:
    services.start_api(PORTS.api)
    return f"http://127.0.0.1:{PORTS.api}"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client of the session's Redis, closed after the test."""
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def http(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        yield client


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is a failed run: every test here must really run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
