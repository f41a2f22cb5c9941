"""Documents built to exhaust the API (issue 13), replayed against the running API: each is
refused quickly with BAD_USER_INPUT, and the API stays healthy and small."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from graph import metrics
from graph.document_cache import CACHE
from graph.document_cost import document_cost
from graph.limits import MAX_QUERY_LENGTH
from graph.metrics import MAX_OPERATION_NAMES
from graph.schema import schema
from tests.support.graphql import Subscription, data_of, gql, token_for


def code_of(body: dict) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"]


def fragment_bomb(levels: int, spreads: int = 8, salt: str = "") -> str:
    """`levels` fragments, each spreading the next `spreads` times: 564 bytes at 8 x 8 that
    expand to millions of selections."""
    fragments = [
        f"fragment F{i} on Query {{ {' '.join([f'...F{i + 1}'] * spreads)} }}"
        for i in range(1, levels)
    ]
    fragments.append(f"fragment F{levels} on Query {{ __typename }}")
    return f"query {{ ...F1 }} {' '.join(fragments)} # {salt}"


async def test_fragment_bomb_is_refused_at_once_and_health_stays_up(http) -> None:
    async def health_while_attacked() -> float:
        started = time.monotonic()
        assert (await http.get("/healthz")).status_code == 200
        return time.monotonic() - started

    for variant in range(3):  # a new text each time: no cache can be what answers
        started = time.monotonic()
        body, health_seconds = await asyncio.gather(
            gql(http, fragment_bomb(8, salt=str(variant))), health_while_attacked()
        )
        assert time.monotonic() - started < 5, "the fragment bomb was expanded"
        assert health_seconds < 5
        assert code_of(body) == "BAD_USER_INPUT"
        assert "selections" in body["errors"][0]["message"]
    # A modest use of fragments still runs.
    body = await gql(http, fragment_bomb(3, spreads=3))
    assert data_of(body) == {"__typename": "Query"}


async def test_depth_and_aliases_hidden_in_fragments_are_counted(http) -> None:
    token = token_for("fragmented")
    deep = "query { me { ...D1 } } fragment D1 on User { " + "x { " * 11 + "}" * 11 + " }"
    body = await gql(http, deep, token=token)
    assert code_of(body) == "BAD_USER_INPUT"
    assert any("depth" in error["message"] for error in body["errors"])
    aliases = "query { ...A ...A } fragment A on Query { " + " ".join(
        f"a{i}: __typename" for i in range(16)
    )
    body = await gql(http, aliases + " }", token=token)
    assert code_of(body) == "BAD_USER_INPUT"
    assert any("32 aliases" in error["message"] for error in body["errors"])


async def test_many_fields_under_one_name_are_refused_before_validation(http) -> None:
    """450 `me { __typename }` are 8 KB and under the token limit, but the overlapping-fields
    rule compares every two of them: half a second of the event loop, for anyone."""
    for variant in range(3):
        query = "{ " + " ".join(["me { __typename }"] * 450) + f" }} # {variant}"
        started = time.monotonic()
        body = await gql(http, query)
        assert time.monotonic() - started < 0.4, "the document was validated"
        assert code_of(body) == "BAD_USER_INPUT"
        assert body["errors"][0]["message"] == (
            "The query asks 101025 pairs of fields under one name at one level; "
            "at most 1000 are allowed"
        )
    # A name a client repeats a few times, in fields and fragments, still runs.
    token = token_for("repeats")
    repeated = "query { me { id ...U id } me { id } } fragment U on User { id }"
    assert data_of(await gql(http, repeated, token=token)) == {"me": {"id": "repeats"}}


def test_pairs_under_one_name_count_fragments_flattened() -> None:
    from graphql import parse

    spread = (
        "query { ...A } fragment A on Query { me { id } ...B } fragment B on Query { me { id } }"
    )
    # `me` twice at the root once B is flattened into A: one pair (counted in A and at the root).
    assert document_cost(parse(spread)).merges == 2
    assert document_cost(parse("{ me { id } a: me { id } b: me { id } }")).merges == 0


def test_the_cost_walk_visits_each_fragment_once() -> None:
    from graphql import parse

    expanded = 1  # F8's __typename; each fragment above spreads the next 8 times
    for _ in range(7):
        expanded = 8 * (1 + expanded)
    assert document_cost(parse(fragment_bomb(8))).selections == 1 + expanded
    cyclic = parse("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    assert document_cost(cyclic).selections == 3


async def test_refused_documents_are_not_cached() -> None:
    before = len(CACHE)
    for variant in range(3):
        result = await schema.execute(fragment_bomb(8, salt=uuid.uuid4().hex + str(variant)))
        assert result.errors and result.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    assert len(CACHE) == before


async def test_long_operation_names_do_not_grow_the_metrics(http) -> None:
    # 60,000 letters: under MAX_QUERY_LENGTH, so it is the label that must stay bounded.
    names = [f"Op{letter * 60_000}" for letter in "abcdefghij"]
    for name in names:
        body = await gql(http, f"query {name} {{ __typename }}")
        assert data_of(body) == {"__typename": "Query"}
    text = (await http.get("/metrics")).text
    assert len(text) < 1_000_000
    assert 'operation="other"' in text


def test_operation_labels_come_from_a_bounded_set(monkeypatch) -> None:
    monkeypatch.setattr(metrics, "_labelled", set())
    label = metrics.operation_label
    assert label(None, vouched=True) == label("", vouched=True) == "anonymous"
    assert label("Op" + "a" * 64, vouched=True) == "other"
    assert label("Op-1", vouched=True) == "other"
    labels = {label(f"Probe{index}", vouched=True) for index in range(MAX_OPERATION_NAMES + 5)}
    assert len(labels) == MAX_OPERATION_NAMES + 1 and "other" in labels
    assert label("Probe0", vouched=False) == "Probe0"  # a name seen before keeps its label


async def test_strangers_cannot_claim_operation_names(http) -> None:
    """A name joins the labels only after it ran without error for an authenticated caller:
    anonymous or failing operations cannot fill the slots that real clients' names need."""
    stranger = f"Stranger{uuid.uuid4().hex}"
    assert data_of(await gql(http, f"query {stranger} {{ __typename }}")) == {"__typename": "Query"}
    failing = f"Failing{uuid.uuid4().hex}"
    await gql(http, f"query {failing} {{ me {{ id }} }}")  # no token: UNAUTHENTICATED
    client = f"Client{uuid.uuid4().hex}"
    body = await gql(http, f"query {client} {{ me {{ id }} }}", token=token_for("labelled"))
    assert data_of(body) == {"me": {"id": "labelled"}}
    text = (await http.get("/metrics")).text
    assert f'operation="{client}"' in text
    assert stranger not in text and failing not in text


async def test_an_overlong_query_is_refused_over_http_before_parsing(http) -> None:
    padded = "#" + "x" * MAX_QUERY_LENGTH + "\n{ __typename }"
    body = await gql(http, padded)
    assert code_of(body) == "BAD_USER_INPUT"
    assert str(MAX_QUERY_LENGTH) in body["errors"][0]["message"]
    # Just under the limit, a comment is harmless.
    body = await gql(http, "#" + "x" * (MAX_QUERY_LENGTH - 100) + "\n{ __typename }")
    assert data_of(body) == {"__typename": "Query"}


async def test_overlong_subscribes_are_refused_and_the_socket_stays_usable(api_url) -> None:
    # The attack sent 15 MiB comments; 200 KiB is over the query limit and under any websocket
    # frame limit, so this test checks the query limit alone.
    async with Subscription(api_url, token_for("commenter")) as ws:
        for index in range(16):
            query = f"#{str(index % 10) * 200_000}\nsubscription {{ myTaskUpdates {{ id }} }}"
            op_id = await ws.start(query)
            async with asyncio.timeout(30):
                while (message := json.loads(await ws.ws.recv())).get("id") != op_id:
                    pass
            assert message["type"] == "error", message
            assert message["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        await ws.ws.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(10):
            assert json.loads(await ws.ws.recv())["type"] == "pong"


async def test_the_document_cache_is_keyed_by_digest_and_bounded_by_bytes() -> None:
    comment = "#" + "y" * 60_000 + "\n"
    for index in range(5):
        result = await schema.execute(
            f"{comment}query Sized{index}{uuid.uuid4().hex} {{ __typename }}"
        )
        assert result.errors is None
    assert all(isinstance(digest, bytes) and len(digest) == 32 for digest, _ in CACHE.keys())
    sizes = [entry.size for entry in CACHE.values()]
    assert sum(size >= 60_000 for size in sizes) >= 5  # the text a document keeps is charged
    assert CACHE.currsize == sum(sizes) <= CACHE.maxsize
