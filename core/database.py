"""MongoDB start-up: one AsyncMongoClient per process, Beanie initialised on it."""

from __future__ import annotations

from beanie import init_beanie
from pymongo import AsyncMongoClient

from core.settings import settings
from models import DOCUMENT_MODELS


async def connect_database(url: str | None = None, db_name: str | None = None) -> AsyncMongoClient:
    """Connect, initialise Beanie and create the indexes; the caller closes the client."""
    client: AsyncMongoClient = AsyncMongoClient(
        url or settings.mongodb_url,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=5000,
    )
    await init_beanie(
        database=client[db_name or settings.MONGODB_DB], document_models=DOCUMENT_MODELS
    )
    return client
