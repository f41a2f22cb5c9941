"""schema.graphql holds the whole public contract, and describes everything it holds."""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

from tests.support.paths import CONTRACT, ROOT


@pytest.fixture(scope="module")
def contract() -> GraphQLSchema:
    assert CONTRACT.exists(), f"the public contract is missing at {CONTRACT}"
    return build_schema(CONTRACT.read_text())


@pytest.fixture(scope="module")
def ours() -> GraphQLSchema:
    return build_schema((ROOT / "schema.graphql").read_text())


def test_every_contract_name_type_and_default_is_in_schema_graphql(contract, ours) -> None:
    missing: list[str] = []
    for name, expected in contract.type_map.items():
        if name.startswith("__"):
            continue
        actual = ours.type_map.get(name)
        if actual is None or type(actual) is not type(expected):
            missing.append(f"type {name}")
            continue
        if isinstance(expected, GraphQLEnumType):
            assert isinstance(actual, GraphQLEnumType)
            missing += [f"{name}.{v}" for v in expected.values if v not in actual.values]
        if isinstance(expected, GraphQLObjectType | GraphQLInputObjectType):
            assert isinstance(actual, GraphQLObjectType | GraphQLInputObjectType)
            for field_name, field in expected.fields.items():
                mine = actual.fields.get(field_name)
                if mine is None or str(mine.type) != str(field.type):
                    missing.append(f"{name}.{field_name}: {field.type}")
                    continue
                if isinstance(expected, GraphQLInputObjectType):
                    if getattr(mine, "default_value", None) != getattr(
                        field, "default_value", None
                    ):
                        missing.append(f"{name}.{field_name} default")
                for arg_name, arg in getattr(field, "args", {}).items():
                    my_arg = mine.args.get(arg_name)
                    if (
                        my_arg is None
                        or str(my_arg.type) != str(arg.type)
                        or my_arg.default_value != arg.default_value
                    ):
                        missing.append(f"{name}.{field_name}({arg_name}: {arg.type})")
    assert missing == []


def test_everything_in_schema_graphql_has_a_description(ours) -> None:
    undescribed: list[str] = []
    for name, graphql_type in ours.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not graphql_type.description:
            undescribed.append(name)
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if not field.description:
                undescribed.append(f"{name}.{field_name}")
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    undescribed.append(f"{name}.{field_name}({arg_name})")
    assert undescribed == []
