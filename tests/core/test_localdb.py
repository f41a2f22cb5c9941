"""The embedded store's engine answers as mongoeco's own does: without its whole-collection scans
for value types the collection never held or for an update by `_id` and more, and with change
streams still delivered."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from bson.decimal128 import Decimal128
from mongoeco import AsyncMongoClient
from mongoeco.engines.sqlite import SQLiteEngine

from core.localdb import LocalStoreEngine


def flagged(path: Path) -> set[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return set(connection.execute("SELECT * FROM invoicescan_rare_tagged").fetchall())


async def test_collections_that_received_rare_values_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    async with AsyncMongoClient(LocalStoreEngine(str(path))) as client:
        db = client["t"]
        await db.plain.insert_many([{"n": 1, "when": "x"}, {"n": 2.5}])
        await db.decimals.insert_one({"n": Decimal128("2.5")})
        await db.updated.insert_one({"n": 1})
        await db.updated.update_one({"n": 1}, {"$set": {"raw": b"\x00\x01"}})
    assert flagged(path) == {("t", "decimals"), ("t", "updated")}


async def test_queries_over_decimals_compare_as_numbers(tmp_path: Path) -> None:
    async with AsyncMongoClient(LocalStoreEngine(str(tmp_path / "store.sqlite3"))) as client:
        numbers = client["t"]["numbers"]
        await numbers.insert_many([{"n": 1}, {"n": 3}])
        assert [d["n"] for d in await numbers.find({"n": {"$gt": 2}}).to_list()] == [3]
        await numbers.insert_one({"n": Decimal128("2.5")})  # after a query was planned
        found = await numbers.find({"n": {"$gt": 2}}).sort("n", 1).to_list()
        assert [str(d["n"]) for d in found] == ["2.5", "3"]
        below = await numbers.find({"n": {"$lt": Decimal128("2.6")}}).sort("n", 1).to_list()
        assert [str(d["n"]) for d in below] == ["1", "2.5"]


async def test_a_store_file_written_before_is_read_through_once(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    async with AsyncMongoClient(SQLiteEngine(str(path))) as client:
        await client["t"]["old"].insert_one({"n": Decimal128("1.5")})
        await client["t"]["other"].insert_one({"n": 1})
    async with AsyncMongoClient(LocalStoreEngine(str(path))) as client:
        found = await client["t"]["old"].find({"n": {"$gt": 1}}).to_list()
        assert [str(d["n"]) for d in found] == ["1.5"]
    assert flagged(path) == {("t", "old")}


def array_fields(path: Path) -> set[tuple[str, str, str]]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return set(connection.execute("SELECT * FROM invoicescan_array_fields").fetchall())


async def test_fields_that_held_arrays_are_recorded_and_matched_by_element(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    async with AsyncMongoClient(LocalStoreEngine(str(path))) as client:
        items = client["t"]["items"]
        await items.insert_one({"tag": "a", "n": 1})
        assert [d["n"] for d in await items.find({"tag": "b"}).to_list()] == []
        await items.insert_one({"tag": ["a", "b"], "n": 2})  # after a query was planned
        assert [d["n"] for d in await items.find({"tag": "b"}).to_list()] == [2]
        assert [d["n"] for d in await items.find({"tag": "a"}).sort("n", 1).to_list()] == [1, 2]
        await client["t"]["other"].insert_one({"n": 1})
        await client["t"]["other"].update_one({"n": 1}, {"$set": {"list": [1]}})
    assert array_fields(path) == {("t", "items", "tag"), ("t", "other", "list")}


async def test_an_update_by_id_and_more_matches_the_whole_filter(tmp_path: Path) -> None:
    async with AsyncMongoClient(LocalStoreEngine(str(tmp_path / "store.sqlite3"))) as client:
        tasks = client["t"]["tasks"]
        await tasks.insert_many(
            [{"_id": "a", "status": "PROGRESS", "attempt": 1}, {"_id": "b", "status": "PENDING"}]
        )
        running = {"_id": "a", "status": {"$in": ["PROGRESS"]}, "attempt": {"$in": [1, None]}}
        updated = await tasks.find_one_and_update(
            running, {"$inc": {"seq": 1}}, return_document=True
        )
        assert updated == {"_id": "a", "status": "PROGRESS", "attempt": 1, "seq": 1}
        for unmatched in (
            {**running, "attempt": 2},
            {"_id": "b", "status": {"$in": ["PROGRESS"]}},
            {"_id": "missing", "status": "PROGRESS"},
        ):
            assert await tasks.find_one_and_update(unmatched, {"$inc": {"seq": 1}}) is None
        assert (
            await tasks.update_one({"_id": "b", "status": "PENDING"}, {"$set": {"n": 1}})
        ).modified_count == 1
        # Numeric ids stay with mongoeco: 1.0 names the document stored with _id 1.
        await tasks.insert_one({"_id": 1, "status": "PENDING"})
        result = await tasks.update_one({"_id": 1.0, "status": "PENDING"}, {"$set": {"n": 2}})
        assert result.modified_count == 1


async def test_change_streams_see_writes_with_delivery_on_the_data_connection(
    tmp_path: Path,
) -> None:
    async with AsyncMongoClient(LocalStoreEngine(str(tmp_path / "store.sqlite3"))) as client:
        items = client["t"]["items"]
        stream = items.watch()
        try:
            await items.insert_one({"_id": "x", "n": 1})
            await items.update_one({"_id": "x"}, {"$set": {"n": 2}})
            seen = [await asyncio.wait_for(stream.next(), 5) for _ in range(2)]
        finally:
            stream.close()
    assert [change["operationType"] for change in seen] == ["insert", "update"]
    assert [change["documentKey"] for change in seen] == [{"_id": "x"}] * 2
