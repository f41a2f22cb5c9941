"""The embedded MongoDB-compatible store for local use: mongoeco's wire server on SQLite.

It stands in for MongoDB on machines without one (development, CI). Only what a real MongoDB 7/8
also does is used against it; docker-compose runs the real server.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from pathlib import Path
from typing import Any

from bson import ObjectId
from mongoeco.core.filtering import QueryEngine
from mongoeco.core.query_plan import AndCondition, EqualsCondition, QueryNode
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

log = logging.getLogger(__name__)


# Value types mongoeco stores tagged ({"$mongoeco":{"type":T,...}} in a document's compact JSON)
# and asks about before it plans a query: decimal, decimal128 and decimal128_public, bytes and
# undefined. None of them is in this service's documents.
RARE_TAGGED_TYPES = ("decimal", "decimal128", "decimal128_public", "bytes", "undefined")
# How each shows in a stored document; "decimal" (no closing quote) also begins the decimal128s.
_RARE_TAGGED_MARKS = (
    '"$mongoeco":{"type":"decimal',
    '"$mongoeco":{"type":"bytes"',
    '"$mongoeco":{"type":"undefined"',
)


def _holds_rare_tagged(row: str) -> str:
    """SQL: the document of `row` holds a value of a RARE_TAGGED_TYPES type."""
    return " OR ".join(f"instr({row}.document, '{mark}') > 0" for mark in _RARE_TAGGED_MARKS)


_RARE_TAGGED_SETUP = [
    """CREATE TABLE IF NOT EXISTS invoicescan_rare_tagged (
        db_name TEXT NOT NULL, coll_name TEXT NOT NULL, PRIMARY KEY (db_name, coll_name))""",
    *(
        f"""CREATE TRIGGER IF NOT EXISTS invoicescan_rare_tagged_{event.lower()}
        AFTER {event} ON documents WHEN {_holds_rare_tagged("NEW")}
        BEGIN
            INSERT OR IGNORE INTO invoicescan_rare_tagged VALUES (NEW.db_name, NEW.coll_name);
        END"""
        for event in ("INSERT", "UPDATE")
    ),
    # Documents stored before the triggers existed.
    f"""INSERT OR IGNORE INTO invoicescan_rare_tagged SELECT DISTINCT db_name, coll_name
        FROM documents d WHERE {_holds_rare_tagged("d")}""",
    # Likewise, each top-level field that ever held an array, per collection.
    """CREATE TABLE IF NOT EXISTS invoicescan_array_fields (
        db_name TEXT NOT NULL, coll_name TEXT NOT NULL, field TEXT NOT NULL,
        PRIMARY KEY (db_name, coll_name, field))""",
    *(
        f"""CREATE TRIGGER IF NOT EXISTS invoicescan_array_fields_{event.lower()}
        AFTER {event} ON documents
        BEGIN
            INSERT OR IGNORE INTO invoicescan_array_fields
            SELECT NEW.db_name, NEW.coll_name, key FROM json_each(NEW.document)
            WHERE type = 'array';
        END"""
        for event in ("INSERT", "UPDATE")
    ),
    """INSERT OR IGNORE INTO invoicescan_array_fields
        SELECT DISTINCT d.db_name, d.coll_name, j.key FROM documents d, json_each(d.document) j
        WHERE j.type = 'array'""",
]
# The last trigger made: a store file without it has not been set up by this version.
_SETUP_MARK = "invoicescan_array_fields_update"

# The mongoeco release LocalStoreEngine was written against (pinned with == in pyproject.toml),
# and the private names of its SQLiteEngine that the engine overrides or uses, each with the
# parameters it expects (name, kind). tests/core/test_localdb_seam.py fails, naming the method,
# when an upgrade removes one or changes its parameters: upgrading is a deliberate step.
MONGOECO_VERSION = "4.11.0"
MONGOECO_PRIVATE_METHODS: dict[str, tuple[tuple[str, str], ...]] = {
    "_validate_document_against_unique_indexes": (
        ("self", "POSITIONAL_OR_KEYWORD"),
        ("db_name", "POSITIONAL_OR_KEYWORD"),
        ("coll_name", "POSITIONAL_OR_KEYWORD"),
        ("document", "POSITIONAL_OR_KEYWORD"),
        ("exclude_storage_key", "KEYWORD_ONLY"),
        ("skip_id_check", "KEYWORD_ONLY"),
        ("scan_payload_id", "KEYWORD_ONLY"),
    ),
    "_select_first_document_for_plan": (
        ("self", "POSITIONAL_OR_KEYWORD"),
        ("db_name", "POSITIONAL_OR_KEYWORD"),
        ("coll_name", "POSITIONAL_OR_KEYWORD"),
        ("plan", "POSITIONAL_OR_KEYWORD"),
        ("hint", "KEYWORD_ONLY"),
        ("context", "KEYWORD_ONLY"),
    ),
    "_connect_sync": (("self", "POSITIONAL_OR_KEYWORD"),),
    "_field_contains_tagged_value_type_in_collection": (
        ("self", "POSITIONAL_OR_KEYWORD"),
        ("db_name", "POSITIONAL_OR_KEYWORD"),
        ("coll_name", "POSITIONAL_OR_KEYWORD"),
        ("field", "POSITIONAL_OR_KEYWORD"),
        ("value_type", "POSITIONAL_OR_KEYWORD"),
    ),
    "_field_is_top_level_array_in_collection": (
        ("self", "POSITIONAL_OR_KEYWORD"),
        ("db_name", "POSITIONAL_OR_KEYWORD"),
        ("coll_name", "POSITIONAL_OR_KEYWORD"),
        ("field", "POSITIONAL_OR_KEYWORD"),
    ),
    "_require_connection": (
        ("self", "POSITIONAL_OR_KEYWORD"),
        ("context", "POSITIONAL_OR_KEYWORD"),
    ),
}
# Private attributes of an engine instance that LocalStoreEngine reads or replaces.
MONGOECO_PRIVATE_ATTRIBUTES = ("_lock", "_change_delivery_connection", "_collection_features_cache")


class LocalStoreEngine(SQLiteEngine):
    """mongoeco's SQLite engine without some of its whole-collection scans.

    On every insert, mongoeco checks a new document's `_id` twice: by its storage key (an indexed
    lookup), then by loading every document of the collection to compare ids logically, which
    only matters for numeric ids (1 == 1.0 in BSON). That second pass made each insert cost
    O(collection size), about 13 microseconds per stored document. Our ids are strings and
    ObjectIds, so the scan is kept only where mongoeco itself says an id is numeric.

    Before it plans a query or an update, mongoeco asks whether the filter's fields hold decimal,
    bytes or undefined values anywhere in the collection (they change how it compares), with a
    scan of the whole collection per field and type. It remembers the answers only until the
    next write, so under a steady stream of writes (progress, invoices) nearly every query paid
    those scans: a quarter of the store's CPU while scans ran, growing with the collection. A
    trigger now records which collections ever received such a value; for every other
    collection the answer is no without a scan, and for those mongoeco asks as before. The same
    goes for its scan for arrays in a filter's top-level fields: a trigger records each field
    that ever held one.

    An update whose filter names `_id` and more (every progress write: `_id`, status and
    attempt) ran as SQL over the whole collection: mongoeco looks up by storage key only when
    `_id` is the whole filter. It now loads the one document that `_id` names and matches the
    rest of the filter on it.

    mongoeco keeps change delivery (the outbox behind change streams) on a second connection
    to the same file, and after every write takes a lease, reads the outbox, checkpoints and
    releases the lease there, each a commit of its own. Two connections writing one file wait
    for each other in SQLite's busy handler, which polls with growing sleeps. Under 8 scans
    single writes took 300 to 450 ms, and every request queued behind them. This engine does
    change delivery on the data connection under the engine's lock, as mongoeco does for an
    in-memory store, so a writer waits on the lock and is woken at once; in the same benchmark
    no request to the store then took over 75 ms while the scans ran. Change streams still
    work; while a transaction is open, mongoeco refuses other sessions' writes either way.
    """

    def _validate_document_against_unique_indexes(
        self, *args: Any, scan_payload_id: bool = False, **kwargs: Any
    ) -> None:
        # mongoeco still scans when id_contains_numeric_value(_id) holds.
        super()._validate_document_against_unique_indexes(*args, scan_payload_id=False, **kwargs)

    def _select_first_document_for_plan(
        self,
        db_name: str,
        coll_name: str,
        plan: QueryNode,
        *,
        hint: Any = None,
        context: Any = None,
    ) -> tuple[str, Any] | None:
        # The one document that `_id` names is the only candidate: load it by its storage key,
        # then match the whole filter on it.
        by_id = _string_id_condition(plan) if hint is None else None
        if by_id is None:
            return super()._select_first_document_for_plan(
                db_name, coll_name, plan, hint=hint, context=context
            )
        found = super()._select_first_document_for_plan(db_name, coll_name, by_id, context=context)
        if found is None or not QueryEngine.match_plan(found[1], plan):
            return None
        return found

    def _connect_sync(self) -> None:
        super()._connect_sync()
        with self._lock:
            # Change delivery (the outbox behind change streams) on the data connection, under
            # the engine's lock, as mongoeco does for an in-memory store; see the class's notes.
            dedicated = self._change_delivery_connection
            if dedicated is not None:
                self._change_delivery_connection = None
                dedicated.close()
            connection = self._require_connection()
            known = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                (_SETUP_MARK,),
            ).fetchone()
            if known is None:  # a store file this engine has not opened before
                for statement in _RARE_TAGGED_SETUP:
                    connection.execute(statement)
                connection.commit()

    def _field_contains_tagged_value_type_in_collection(
        self, db_name: str, coll_name: str, field: str, value_type: str
    ) -> bool:
        if value_type in RARE_TAGGED_TYPES:
            answer = self._answer_without_scan(
                (db_name, coll_name, f"tagged_type:{field}:{value_type}"),
                "SELECT 1 FROM invoicescan_rare_tagged WHERE db_name = ? AND coll_name = ?",
                (db_name, coll_name),
            )
            if answer is not None:
                return answer
        return super()._field_contains_tagged_value_type_in_collection(
            db_name, coll_name, field, value_type
        )

    def _field_is_top_level_array_in_collection(
        self, db_name: str, coll_name: str, field: str
    ) -> bool:
        if "." not in field:  # a top-level field: the trigger saw every array stored there
            answer = self._answer_without_scan(
                (db_name, coll_name, f"top_level_array:{field}"),
                "SELECT 1 FROM invoicescan_array_fields"
                " WHERE db_name = ? AND coll_name = ? AND field = ?",
                (db_name, coll_name, field),
            )
            if answer is not None:
                return answer
        return super()._field_is_top_level_array_in_collection(db_name, coll_name, field)

    def _answer_without_scan(
        self, feature_key: tuple[str, str, str], recorded: str, params: tuple[str, ...]
    ) -> bool | None:
        """mongoeco's cached answer for `feature_key`; else no, when the trigger table finds no
        row (`recorded`, a SELECT), kept in mongoeco's cache so that its invalidation on writes
        applies as before; else None: mongoeco must scan."""
        cached = self._collection_features_cache.get(feature_key)
        if cached is not None:
            return bool(cached)
        if self._require_connection().execute(recorded, params).fetchone() is None:
            self._collection_features_cache[feature_key] = False
            return False
        return None


def _string_id_condition(plan: QueryNode) -> EqualsCondition | None:
    """The `_id` equality among the clauses of an AND filter, when the id is a string or an
    ObjectId (a number's storage key differs between 1 and 1.0: those stay with mongoeco)."""
    if not isinstance(plan, AndCondition):
        return None
    for clause in plan.clauses:
        if (
            isinstance(clause, EqualsCondition)
            and clause.field == "_id"
            and isinstance(clause.value, str | ObjectId)
        ):
            return clause
    return None


# mongoeco leaves thousands of small reference cycles per second of steady writes (objects of
# each command), and its caches keep the heap large. With Python's default thresholds, cycles
# still alive at a young collection were promoted and soon set off full collections: 50 to 57
# ms each, every few seconds under 8 scans, with every request waiting. Collecting the young
# generation less often frees most cycles there (pauses up to about 20 ms measured), and full
# collections became rare (one in a traced run of that benchmark done twice over).
GC_THRESHOLDS = (20_000, 20, 20)


async def serve_localdb(host: str, port: int, path: Path) -> None:
    """Serve the store at host:port from the SQLite file `path` until SIGINT or SIGTERM."""
    gc.set_threshold(*GC_THRESHOLDS)
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
