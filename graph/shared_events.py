"""Execute a subscription event once for all the subscribers who asked the same thing.

Thousands of websocket clients often follow one task with the same document: each event would
otherwise run GraphQL execution over the same ScanTask once per subscriber, the API's largest
cost at fan-out (about half its CPU at 1,000 subscribers, bench/fanout.py). The relay hands
every subscriber the same event object, and subscriptions turn it into one shared ScanTask
(graph/subscriptions.py), so a result can be reused for the same event object, operation and
variables. Only ScanTask events are shared, and only results without errors: ScanTask has no
resolver that depends on who asks (access is checked when the subscription starts).

A remembered result is handed out before graphql-core copies its executor for the event (a
copy of a large object, per subscriber and event), and the variables' part of the key is
computed once per subscription, not per event.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, cast

from graphql import ExecutionResult, OperationDefinitionNode

from graph.acyclic_executor import AcyclicExecutor
from graph.types import ScanTask

MEMO_SIZE = 1024

# (event, operation, variables) -> the result; the entry holds the event and the operation so
# that a key whose ids were reused by newer objects is never mistaken for them.
_memo: OrderedDict[
    tuple[int, int, str], tuple[object, OperationDefinitionNode, ExecutionResult]
] = OrderedDict()
# The data of remembered results, by identity, with its JSON once a subscriber needed it.
_encoded: dict[int, tuple[object, str | None]] = {}


class RememberedEvent:
    """What graphql-core executes for an event whose result is remembered: that result."""

    __slots__ = ("result",)

    def __init__(self, result: ExecutionResult) -> None:
        self.result = result

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        return self.result


class SharedEventExecutor(AcyclicExecutor):
    """Strawberry's executor, remembering subscription event results (see module doc)."""

    _variables_key: str | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        if isinstance(payload, ScanTask):
            key = self._event_key(payload)
            hit = _memo.get(key)
            if hit is not None and hit[0] is payload and hit[1] is self.operation:
                _memo.move_to_end(key)
                # graphql-core only calls execute_operation(False) on a per-event executor.
                return cast(Any, RememberedEvent(hit[2]))
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> Any:
        root = self.root_value
        # graphql-core executes a subscription event with serially=False, and only then.
        if serially is not False or not isinstance(root, ScanTask):
            return super().execute_operation(serially)
        result = super().execute_operation(serially)
        if isinstance(result, ExecutionResult) and not result.errors:
            _memo[self._event_key(root)] = (root, self.operation, result)
            _encoded[id(result.data)] = (result.data, None)
            if len(_memo) > MEMO_SIZE:
                _, (_, _, evicted) = _memo.popitem(last=False)
                _encoded.pop(id(evicted.data), None)
        return result

    def _event_key(self, root: ScanTask) -> tuple[int, int, str]:
        if self._variables_key is None:
            # Kept on the subscription's executor, which every per-event copy starts from.
            self._variables_key = json.dumps(
                self.variable_values.coerced, sort_keys=True, default=str
            )
        return (id(root), id(self.operation), self._variables_key)


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
