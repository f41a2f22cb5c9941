"""Each GraphQL document is validated once, with the query limits in force: clients send the same
few documents over and over, and validation is most of what a small request costs."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry.schema.schema as strawberry_schema

from graph.schema import schema


async def test_a_document_is_validated_once_however_often_it_comes(monkeypatch) -> None:
    validated: list[Any] = []
    validate = strawberry_schema.validate

    def counting(*args: Any, **kwargs: Any) -> Any:
        validated.append(args[1])
        return validate(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", counting)
    document = f"query Probe{uuid.uuid4().hex} {{ __typename }}"  # new to every cache
    for _ in range(3):
        result = await schema.execute(document)
        assert result.errors is None and result.data == {"__typename": "Query"}
    assert len(validated) == 1


async def test_the_limits_hold_for_a_document_seen_before() -> None:
    deep = "{ me " + "{ x " * 11 + "}" * 12
    aliases = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(31)) + " }"
    for _ in range(2):
        for document, word in ((deep, "depth"), (aliases, "aliases")):
            result = await schema.execute(document)
            assert result.errors and any(word in error.message.lower() for error in result.errors)
