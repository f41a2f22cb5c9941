"""The embedded MongoDB-compatible store for local use: mongoeco's wire server on SQLite.

It stands in for MongoDB on machines without one (development, CI). Only what a real MongoDB 7/8
also does is used against it; docker-compose runs the real server.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

log = logging.getLogger(__name__)


class LocalStoreEngine(SQLiteEngine):
    """mongoeco's SQLite engine without its whole-collection scan on every insert.

    mongoeco checks a new document's `_id` twice: by its storage key (an indexed lookup), then by
    loading every document of the collection to compare ids logically, which only matters for
    numeric ids (1 == 1.0 in BSON). That second pass made each insert cost O(collection size),
    about 13 microseconds per stored document. Our ids are strings and ObjectIds, so the scan is
    kept only where mongoeco itself says an id is numeric.
    """

    def _validate_document_against_unique_indexes(
        self, *args: Any, scan_payload_id: bool = False, **kwargs: Any
    ) -> None:
        # mongoeco still scans when id_contains_numeric_value(_id) holds.
        super()._validate_document_against_unique_indexes(*args, scan_payload_id=False, **kwargs)


async def serve_localdb(host: str, port: int, path: Path) -> None:
    """Serve the store at host:port from the SQLite file `path` until SIGINT or SIGTERM."""
    path.parent.mkdir(parents=True, exist_ok=True)
    server = AsyncMongoEcoProxyServer(engine=LocalStoreEngine(str(path)), host=host, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    address = await server.start()
    log.info("embedded store listening at %s (data in %s)", address.uri, path)
    print(f"localdb ready: {address.uri}", flush=True)  # noqa: T201 - readiness line for parents
    try:
        await stop.wait()
    finally:
        await server.close()
