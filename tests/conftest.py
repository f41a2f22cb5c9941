"""Session-wide services: a private Redis, the embedded store (or MONGODB_URL), Dovecot, a Celery
worker and the API under uvicorn. The environment is set here, before any project import reads
the settings; a missing service fails the test run, it never skips."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.support.services import Services, Worker, free_port

BASE = Path(tempfile.mkdtemp(prefix="invoicescan-tests-", dir="/tmp"))
BASE.chmod(0o755)  # Dovecot's processes run as nobody and must reach their files below
REDIS_PORT = free_port()
LOCALDB_PORT = free_port()
API_PORT = free_port()
IMAP_PORT = free_port()

os.environ.update(
    ENVIRONMENT="test",
    JWT_SECRET="test-secret-" + uuid.uuid4().hex,
    CREDENTIALS_KEY=Fernet.generate_key().decode(),
    REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/0",
    IMAP_ALLOW_PRIVATE_HOSTS="true",
    DATA_DIR=str(BASE / "data"),
    MONGODB_DB=f"invoicescan_test_{uuid.uuid4().hex[:8]}",
    LOCALDB_PORT=str(LOCALDB_PORT),
)
USE_REAL_MONGODB = bool(os.environ.get("MONGODB_URL"))


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
    services.start_redis(REDIS_PORT)
    return os.environ["REDIS_URL"]


@pytest.fixture(scope="session")
async def database(services: Services) -> AsyncIterator[object]:
    """Beanie initialised in the test process against the embedded store or MONGODB_URL."""
    if not USE_REAL_MONGODB:
        services.start_localdb(LOCALDB_PORT)
    from core.database import connect_database

    client = await connect_database()
    yield client
    if USE_REAL_MONGODB:
        await client.drop_database(os.environ["MONGODB_DB"])
    await client.close()


@pytest.fixture(scope="session")
def dovecot(services: Services) -> Iterator[object]:
    from tests.support.dovecot import Dovecot

    server = Dovecot(base=BASE / "dovecot", port=IMAP_PORT)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def worker(services: Services, redis_url: str, database: object) -> Worker:
    return services.start_worker("test-worker", concurrency=2)


@pytest.fixture(scope="session")
def api_url(services: Services, redis_url: str, database: object) -> str:
    services.start_api(API_PORT)
    return f"http://127.0.0.1:{API_PORT}"


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
