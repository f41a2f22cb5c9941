"""Execute a subscription event once for all the subscribers who asked the same thing.

Thousands of websocket clients often follow one task with the same document: each event would
otherwise run GraphQL execution over the same ScanTask once per subscriber, the API's largest
cost at fan-out (about half its CPU at 1,000 subscribers, bench/fanout.py). The relay hands
every subscriber the same event object, and subscriptions turn it into one shared ScanTask
(graph/subscriptions.py), so a result can be reused for the same event object, operation and
variables. Only ScanTask events are shared, and only results without errors: ScanTask has no
resolver that depends on who asks (access is checked when the subscription starts).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.types import ScanTask

MEMO_SIZE = 1024

_memo: OrderedDict[tuple[int, int, str], tuple[object, ExecutionResult]] = OrderedDict()
# The data of remembered results, by identity, with its JSON once a subscriber needed it.
_encoded: dict[int, tuple[object, str | None]] = {}


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, remembering subscription event results (see module doc)."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        root = self.root_value
        # graphql-core executes a subscription event with serially=False, and only then.
        if serially is not False or not isinstance(root, ScanTask):
            return super().execute_operation(serially)
        key = (id(root), id(self.operation), _frozen(self.variable_values.coerced))
        hit = _memo.get(key)
        if hit is not None and hit[0] is root:  # the entry holds `root`: its id is not reused
            _memo.move_to_end(key)
            return hit[1]
        result = super().execute_operation(serially)
        if isinstance(result, ExecutionResult) and not result.errors:
            _memo[key] = (root, result)
            _encoded[id(result.data)] = (result.data, None)
            if len(_memo) > MEMO_SIZE:
                _, (_, evicted) = _memo.popitem(last=False)
                _encoded.pop(id(evicted.data), None)
        return result


def _frozen(variables: dict[str, Any]) -> str:
    return json.dumps(variables, sort_keys=True, default=str)


def encoded_next(message: dict[str, Any]) -> str | None:
    """The JSON of a graphql-transport-ws `next` message whose payload is only a remembered
    result's data, that data encoded once for all; None for any other message."""
    payload = message.get("payload")
    if not isinstance(payload, dict) or payload.keys() != {"data"}:
        return None
    data = payload["data"]
    entry = _encoded.get(id(data))
    if entry is None or entry[0] is not data:
        return None
    if entry[1] is None:
        entry = _encoded[id(data)] = (data, json.dumps(data, separators=(",", ":")))
    return f'{{"id":{json.dumps(message["id"])},"type":"next","payload":{{"data":{entry[1]}}}}}'
