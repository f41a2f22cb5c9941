"""The services a benchmark runs against: the same real processes the tests start."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.dovecot import Dovecot
from tests.support.environment import Ports, uses_real_mongodb
from tests.support.services import Services


@dataclass
class Stack:
    base: Path
    ports: Ports
    services: Services
    dovecot: Dovecot

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"


@asynccontextmanager
async def running_stack(base: Path, ports: Ports) -> AsyncIterator[Stack]:
    """Redis, the store, Dovecot and the API; workers are started by each benchmark."""
    from core.database import connect_database

    services = Services(base)
    dovecot = Dovecot(base=base / "dovecot", port=ports.imap)
    try:
        services.start_redis(ports.redis)
        if not uses_real_mongodb():
            services.start_localdb(ports.localdb)
        dovecot.start()
        services.start_api(ports.api)
        mongo = await connect_database()
        try:
            yield Stack(base, ports, services, dovecot)
        finally:
            await mongo.close()
    finally:
        dovecot.stop()
        services.stop()
        shutil.rmtree(base, ignore_errors=True)
