"""Lists, cancellation, account removal and the admin operations, against the running stack."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from models import EmailAccount, Invoice, ScanTask
from models.enums import InvoiceSource, ScanType, TaskStatus
from models.invoice import FieldConfidence
from tests.support.graphql import Subscription, data_of, gql, imap_account, token_for
from tests.support.mail import plain_mail, text_invoice

MY_TASKS = """query($first: Int!, $after: String, $status: [TaskStatus!]) {
  myTasks(first: $first, after: $after, status: $status) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status } } } }"""
CANCEL = """mutation($taskId: ID, $accountId: ID) {
  cancelScan(taskId: $taskId, accountId: $accountId) {
    id status progress currentStatus finishedAt emailsScanned invoicesFound } }"""


def code_of(body: dict) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"]


async def make_task(
    user: str,
    *,
    status: TaskStatus = TaskStatus.SUCCESS,
    account: str | None = None,
    created: datetime | None = None,
    **fields,
) -> ScanTask:
    active = True if status in (TaskStatus.PENDING, TaskStatus.PROGRESS) else None
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id=account or uuid.uuid4().hex[:24],
        user_id=user,
        scan_type=ScanType.INBOX,
        months=1,
        status=status,
        active=active,
        created_at=created or datetime.now(UTC),
        **fields,
    )
    await task.insert()
    return task


async def test_my_tasks_pages_are_stable_while_rows_arrive(http, database) -> None:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    made = [await make_task("pager", created=base + timedelta(seconds=i)) for i in range(25)]
    newest_first = [t.id for t in reversed(made)]
    token = token_for("pager")
    first = data_of(await gql(http, MY_TASKS, {"first": 10}, token=token))["myTasks"]
    assert first["totalCount"] == 25 and first["pageInfo"]["hasNextPage"]
    assert [e["node"]["id"] for e in first["edges"]] == newest_first[:10]
    await make_task("pager")  # a new row must not shift the next page
    second = data_of(
        await gql(
            http, MY_TASKS, {"first": 10, "after": first["pageInfo"]["endCursor"]}, token=token
        )
    )["myTasks"]
    assert [e["node"]["id"] for e in second["edges"]] == newest_first[10:20]
    assert second["totalCount"] == 26
    third = data_of(
        await gql(
            http, MY_TASKS, {"first": 10, "after": second["pageInfo"]["endCursor"]}, token=token
        )
    )["myTasks"]
    assert [e["node"]["id"] for e in third["edges"]] == newest_first[20:]
    assert third["pageInfo"]["hasNextPage"] is False
    failed = data_of(await gql(http, MY_TASKS, {"first": 5, "status": ["FAILURE"]}, token=token))[
        "myTasks"
    ]
    assert failed == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }


async def test_list_arguments_are_validated(http) -> None:
    token = token_for("validator")
    for first in (0, 101):
        body = await gql(http, MY_TASKS, {"first": first}, token=token)
        assert code_of(body) == "BAD_USER_INPUT"
        assert body["errors"][0]["extensions"]["argument"] == "first"
    body = await gql(http, MY_TASKS, {"first": 5, "after": "garbage!"}, token=token)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}


async def add_account(http, user: str, port: int = 1) -> str:
    body = await gql(
        http,
        """mutation($i: AddEmailAccountInput!) { addEmailAccount(input: $i) { id } }""",
        {"i": imap_account(f"{user}@example.com", "pw", port, verify=False)},
        token=token_for(user),
    )
    return data_of(body)["addEmailAccount"]["id"]


async def store_invoice(account_id: str, user: str, n: int) -> Invoice:
    invoice = Invoice.new(
        account_id=account_id,
        user_id=user,
        task_id="t",
        message_id=f"<{n}@x>",
        part_key="body",
        folder="INBOX",
        subject=f"Invoice {n}",
        sender="V <v@x>",
        received_at=datetime.now(UTC),
        source=InvoiceSource.TEXT,
    )
    await invoice.insert()
    return invoice


REVIEW = """query($r: Boolean) { invoices(needsReview: $r) {
  totalCount edges { node { subject needsReview confidence {
    vendor invoiceNumber issueDate dueDate totalAmount currency } } } } }"""


async def test_invoices_show_confidence_and_filter_by_review(http, database) -> None:
    token = token_for("reviewer")
    account = await add_account(http, "reviewer")
    sure = await store_invoice(account, "reviewer", 1)
    sure.confidence = FieldConfidence(vendor=0.9, invoice_number=1.0, total_amount=0.97)
    await sure.save()
    unsure = await store_invoice(account, "reviewer", 2)
    unsure.confidence = FieldConfidence(vendor=0.3, total_amount=0.5)
    unsure.needs_review = True
    await unsure.save()
    # An invoice stored before confidences were kept: no such fields in the store at all.
    legacy = await store_invoice(account, "reviewer", 3)
    await Invoice.get_pymongo_collection().update_one(
        {"_id": legacy.id}, {"$unset": {"confidence": "", "needs_review": ""}}
    )
    await store_invoice(await add_account(http, "bystander"), "bystander", 4)

    def rows(body: dict) -> dict[str, tuple[bool, dict]]:
        return {
            edge["node"]["subject"]: (edge["node"]["needsReview"], edge["node"]["confidence"])
            for edge in data_of(body)["invoices"]["edges"]
        }

    flagged = rows(await gql(http, REVIEW, {"r": True}, token=token))
    assert flagged == {
        "Invoice 2": (
            True,
            {
                "vendor": 0.3,
                "invoiceNumber": None,
                "issueDate": None,
                "dueDate": None,
                "totalAmount": 0.5,
                "currency": None,
            },
        )
    }
    clear = rows(await gql(http, REVIEW, {"r": False}, token=token))
    assert set(clear) == {"Invoice 1", "Invoice 3"}
    assert clear["Invoice 1"] == (
        False,
        {
            "vendor": 0.9,
            "invoiceNumber": 1.0,
            "issueDate": None,
            "dueDate": None,
            "totalAmount": 0.97,
            "currency": None,
        },
    )
    assert clear["Invoice 3"] == (False, dict.fromkeys(clear["Invoice 3"][1]))
    assert set(rows(await gql(http, REVIEW, {"r": None}, token=token))) == {
        "Invoice 1",
        "Invoice 2",
        "Invoice 3",
    }


async def test_invoices_history_and_account_removal(http, database) -> None:
    token = token_for("remover")
    account = await add_account(http, "remover")
    other = await add_account(http, "remover")
    for n in range(3):
        await store_invoice(account, "remover", n)
    await store_invoice(other, "remover", 99)
    task = await make_task("remover", account=account)
    listed = data_of(
        await gql(
            http,
            """query($a: ID) { invoices(accountId: $a, first: 2) {
        totalCount edges { node { accountId subject source } } } }""",
            {"a": account},
            token=token,
        )
    )
    assert listed["invoices"]["totalCount"] == 3 and len(listed["invoices"]["edges"]) == 2
    everything = data_of(await gql(http, "{ invoices { totalCount } }", token=token))
    assert everything["invoices"]["totalCount"] == 4
    history = data_of(
        await gql(
            http,
            """query($a: ID!) { taskHistory(accountId: $a) {
        totalCount edges { node { id } } } }""",
            {"a": account},
            token=token,
        )
    )["taskHistory"]
    assert history == {"totalCount": 1, "edges": [{"node": {"id": task.id}}]}
    for query in (
        """query($a: ID!) { taskHistory(accountId: $a) { totalCount } }""",
        """query($a: ID) { invoices(accountId: $a) { totalCount } }""",
        """mutation($a: ID!) { removeEmailAccount(accountId: $a) }""",
    ):
        assert (
            code_of(await gql(http, query, {"a": account}, token=token_for("snoop"))) == "NOT_FOUND"
        )

    removed = await gql(
        http, "mutation($a: ID!) { removeEmailAccount(accountId: $a) }", {"a": account}, token=token
    )
    assert data_of(removed)["removeEmailAccount"] is True
    assert await EmailAccount.get(account) is None
    assert await Invoice.find(Invoice.account_id == account).count() == 0
    assert await Invoice.find(Invoice.account_id == other).count() == 1
    kept = data_of(
        await gql(http, "query($t: ID!) { task(taskId: $t) { id } }", {"t": task.id}, token=token)
    )
    assert kept["task"]["id"] == task.id


async def test_cancel_pending_is_idempotent_and_needs_one_argument(http, database) -> None:
    token = token_for("canceller")
    account = await add_account(http, "canceller")
    pending = await make_task("canceller", status=TaskStatus.PENDING, account=account)
    first = data_of(await gql(http, CANCEL, {"accountId": account}, token=token))["cancelScan"]
    assert first["id"] == pending.id and first["status"] == "CANCELLED"
    assert first["currentStatus"] == "Cancelled" and first["finishedAt"] is not None
    again = data_of(await gql(http, CANCEL, {"taskId": pending.id}, token=token))["cancelScan"]
    assert again == first
    for variables in ({}, {"taskId": pending.id, "accountId": account}):
        assert code_of(await gql(http, CANCEL, variables, token=token)) == "BAD_USER_INPUT"
    assert (
        code_of(await gql(http, CANCEL, {"taskId": pending.id}, token=token_for("x")))
        == "NOT_FOUND"
    )
    # The account is free again: a new scan may start.
    started = await gql(
        http,
        "mutation($a: ID!) { startScan(accountId: $a) { status } }",
        {"a": account},
        token=token,
    )
    assert data_of(started)["startScan"]["status"] == "PENDING"


async def wait_status(task_id: str, statuses: set[TaskStatus], timeout: float = 60) -> ScanTask:
    async with asyncio.timeout(timeout):
        while True:
            task = await ScanTask.get(task_id)
            if task is not None and task.status in statuses:
                return task
            await asyncio.sleep(0.05)


async def test_cancel_stops_a_running_scan_within_two_seconds(
    http, dovecot, worker, database
) -> None:
    user, password = "bigbox@example.com", "pw-big"
    dovecot.add_user(user, password)
    now = datetime.now(UTC)
    dovecot.append(
        user,
        password,
        [
            (
                (text_invoice if i % 5 == 0 else plain_mail)(i, now - timedelta(hours=i)),
                now - timedelta(hours=i),
            )
            for i in range(1500)
        ],
    )
    token = token_for("bigbox")
    body = await gql(
        http,
        """mutation($i: AddEmailAccountInput!) { addEmailAccount(input: $i) { id } }""",
        {"i": imap_account(user, password, dovecot.port)},
        token=token,
    )
    account = data_of(body)["addEmailAccount"]["id"]
    started = await gql(
        http,
        "mutation($a: ID!) { startScan(accountId: $a) { taskId } }",
        {"a": account},
        token=token,
    )
    task_id = data_of(started)["startScan"]["taskId"]
    async with asyncio.timeout(60):
        while (task := await ScanTask.get(task_id)) is None or task.emails_scanned == 0:
            await asyncio.sleep(0.05)
    cancelled = data_of(await gql(http, CANCEL, {"taskId": task_id}, token=token))["cancelScan"]
    assert cancelled["status"] == "CANCELLED"
    began = asyncio.get_running_loop().time()
    await asyncio.to_thread(worker.wait_for_task, task_id, 5)
    assert asyncio.get_running_loop().time() - began < 2.0
    final = await ScanTask.get(task_id)
    assert final is not None and final.status is TaskStatus.CANCELLED
    assert 0 < final.emails_scanned < 1500
    assert await Invoice.find(Invoice.task_id == task_id).count() > 0  # kept
    # The worker is free for the next task.
    small = await make_task("bigbox", status=TaskStatus.SUCCESS)
    assert small.status is TaskStatus.SUCCESS
    again = await gql(
        http,
        "mutation($a: ID!) { startScan(accountId: $a, months: 1) { taskId } }",
        {"a": account},
        token=token,
    )
    await wait_status(data_of(again)["startScan"]["taskId"], {TaskStatus.SUCCESS}, 60)


async def test_admin_operations(http, api_url, worker, database) -> None:
    user_token, admin_token = token_for("plain-user"), token_for("ops", admin=True)
    for query in (
        "{ scanningStats { total } }",
        "{ activeTasks { id } }",
        "{ systemHealth { status } }",
    ):
        assert code_of(await gql(http, query, token=user_token)) == "FORBIDDEN"
    assert (
        code_of(await gql(http, "mutation { cancelAllTasks { cancelled } }", token=user_token))
        == "FORBIDDEN"
    )

    pending = [await make_task(f"adm{i}", status=TaskStatus.PENDING) for i in range(3)]
    active = data_of(await gql(http, "{ activeTasks { id status } }", token=admin_token))
    assert {t.id for t in pending} <= {t["id"] for t in active["activeTasks"]}

    stats = data_of(
        await gql(
            http,
            """{ scanningStats { total successRate averageDurationSeconds
        invoicesFound emailsScanned byStatus { status count } } }""",
            token=admin_token,
        )
    )
    stats = stats["scanningStats"]
    tasks = await ScanTask.find_all().to_list()
    assert stats["total"] == len(tasks)
    assert {row["status"]: row["count"] for row in stats["byStatus"]} == {
        s.value: sum(t.status is s for t in tasks) for s in TaskStatus
    }
    assert stats["invoicesFound"] == sum(t.invoices_found for t in tasks)
    assert stats["emailsScanned"] == sum(t.emails_scanned for t in tasks)
    finished = [t for t in tasks if t.status.is_terminal]
    assert stats["successRate"] == sum(t.status is TaskStatus.SUCCESS for t in finished) / len(
        finished
    )

    health = data_of(
        await gql(
            http,
            """{ systemHealth { status queuedTasks
        redis { ok latencyMs error } mongodb { ok latencyMs }
        workers { hostname activeTasks concurrency } } }""",
            token=admin_token,
        )
    )["systemHealth"]
    assert health["status"] == "OK"
    assert health["redis"]["ok"] and health["mongodb"]["ok"] and health["redis"]["error"] is None
    assert any(
        w["hostname"].startswith("test-worker@") and w["concurrency"] == 2
        for w in health["workers"]
    )
    assert health["queuedTasks"] >= 0

    async with Subscription(api_url, admin_token) as ws:
        op = await ws.start("subscription { allTaskUpdates { id status } }")
        await asyncio.sleep(0.3)
        done = data_of(
            await gql(http, "mutation { cancelAllTasks { cancelled } }", token=admin_token)
        )
        assert done["cancelAllTasks"]["cancelled"] >= 3
        seen = set()
        async with asyncio.timeout(10):
            async for message in ws.messages(op):
                update = message["data"]["allTaskUpdates"]
                if update["status"] == "CANCELLED":
                    seen.add(update["id"])
                if {t.id for t in pending} <= seen:
                    break
    for task in pending:
        stored = await ScanTask.get(task.id)
        assert stored is not None and stored.status is TaskStatus.CANCELLED


async def test_all_task_updates_is_for_admins(api_url) -> None:
    async with Subscription(api_url, token_for("nosy")) as ws:
        op = await ws.start("subscription { allTaskUpdates { id } }")
        async with asyncio.timeout(10):
            messages = [message async for message in ws.messages(op)]
    assert [m["errors"][0]["extensions"]["code"] for m in messages] == ["FORBIDDEN"]
