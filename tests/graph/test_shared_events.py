"""A subscription event is executed once for every subscriber asking the same thing."""

from __future__ import annotations

from datetime import UTC, datetime

from graphql import parse

from graph.schema import schema
from graph.shared_events import SharedEventExecutor
from graph.subscriptions import shared_type
from models.enums import ScanType, TaskStatus
from tasks.progress import TaskState

DOCUMENT = parse("subscription($id: ID!) { taskProgress(taskId: $id) { id progress } }")


def state(progress: int) -> TaskState:
    return TaskState(
        id="t1", account_id="a", user_id="u", scan_type=ScanType.INBOX, months=1,
        status=TaskStatus.PROGRESS, progress=progress, current_status="Processing emails",
        emails_total=10, emails_scanned=progress // 10, invoices_found=0, error_count=0,
        error=None, bytes_fetched=0, estimated_duration_seconds=None,
        actual_duration_seconds=None, created_at=datetime.now(UTC), started_at=None,
        finished_at=None, seq=progress,
    )  # fmt: skip


def run_event(root: object, task_id: str = "t1") -> object:
    executor = SharedEventExecutor.build(
        schema._schema, DOCUMENT, raw_variable_values={"id": task_id}
    )
    assert isinstance(executor, SharedEventExecutor)
    return executor.build_per_event_executor(root).execute_operation(False)


def test_same_event_same_operation_is_executed_once() -> None:
    event = state(40)
    first, second = run_event(shared_type(event)), run_event(shared_type(event))
    assert first is second
    assert first.data == {"taskProgress": {"id": "t1", "progress": 40}}  # type: ignore[attr-defined]


def test_other_events_or_variables_are_executed_anew() -> None:
    event = state(50)
    shared = run_event(shared_type(event))
    assert run_event(shared_type(state(50))) is not shared  # another event object
    assert run_event(shared_type(event), task_id="t2") is not shared


def test_a_remembered_result_is_handed_out_without_copying_the_executor() -> None:
    executor = SharedEventExecutor.build(schema._schema, DOCUMENT, raw_variable_values={"id": "t1"})
    assert isinstance(executor, SharedEventExecutor)
    event = shared_type(state(60))
    first = executor.build_per_event_executor(event)
    assert isinstance(first, SharedEventExecutor)  # nothing remembered yet: a real execution
    result = first.execute_operation(False)
    again = executor.build_per_event_executor(event)
    assert not isinstance(again, SharedEventExecutor)
    assert again.execute_operation(False) is result
