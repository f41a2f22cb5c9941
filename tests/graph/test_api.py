"""The API over real HTTP and websockets, against the running stack."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import websockets
from websockets.typing import Subprotocol

from models import ScanTask
from models.enums import ScanType, TaskStatus
from tests.support.graphql import Subscription, data_of, gql, imap_account, token_for
from tests.support.mail import plain_mail, text_invoice

ADD = """mutation($input: AddEmailAccountInput!) { addEmailAccount(input: $input) {
  id email imapHost imapPort security username groupAddresses createdAt lastScanAt } }"""
START = """mutation($id: ID!, $months: Int! = 3) { startScan(accountId: $id, months: $months) {
  taskId status task { id accountId userId scanType months status progress currentStatus } } }"""
TASK = "query($id: ID!) { task(taskId: $id) { id status progress emailsScanned } }"
STATUS = "query($id: ID!) { scanStatus(accountId: $id) { id status } }"


def code_of(body: dict) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"]


async def add_account(http, user: str, dovecot=None, **overrides) -> dict:
    account = {
        "email": f"{user}@example.com",
        "imapHost": "127.0.0.1",
        "imapPort": dovecot.port if dovecot else 1,
        "security": "NONE",
        "password": "pw",
        "verify": False,
        **overrides,
    }
    return data_of(await gql(http, ADD, {"input": account}, token=token_for(user)))[
        "addEmailAccount"
    ]


async def test_me_needs_a_token(http) -> None:
    assert code_of(await gql(http, "{ me { id } }")) == "UNAUTHENTICATED"
    body = await gql(http, "{ me { id } }", token="not.a.jwt")
    assert code_of(body) == "UNAUTHENTICATED"
    me = data_of(await gql(http, "{ me { id role } }", token=token_for("u-me", admin=True)))
    assert me["me"] == {"id": "u-me", "role": "ADMIN"}


async def test_add_account_and_list_it_without_secrets(http) -> None:
    added = await add_account(http, "carol", groupAddresses=["AP@Example.com"])
    assert added["username"] == "carol@example.com"
    assert added["groupAddresses"] == ["ap@example.com"]
    assert added["lastScanAt"] is None
    listed = data_of(await gql(http, "{ emailAccounts { id email } }", token=token_for("carol")))
    assert listed["emailAccounts"] == [{"id": added["id"], "email": "carol@example.com"}]
    other = data_of(await gql(http, "{ emailAccounts { id } }", token=token_for("dave")))
    assert other["emailAccounts"] == []


async def test_verify_refuses_a_wrong_password(http, dovecot) -> None:
    dovecot.add_user("erin@example.com", "right-pw")
    body = await gql(
        http,
        ADD,
        {"input": imap_account("erin@example.com", "wrong-pw", dovecot.port)},
        token=token_for("erin"),
    )
    assert code_of(body) == "BAD_USER_INPUT"
    assert "log in" in body["errors"][0]["message"]
    ok = await gql(
        http,
        ADD,
        {"input": imap_account("erin@example.com", "right-pw", dovecot.port)},
        token=token_for("erin"),
    )
    assert data_of(ok)["addEmailAccount"]["email"] == "erin@example.com"


@pytest.mark.parametrize(
    "bad",
    [
        {"password": None},  # neither password nor token
        {"oauth2AccessToken": "tok"},  # both
        {"email": "not-an-address"},
        {"imapPort": 70000},
    ],
)
async def test_add_account_input_errors(http, bad) -> None:
    account = {
        "email": "f@example.com",
        "imapHost": "127.0.0.1",
        "imapPort": 993,
        "password": "pw",
        "verify": False,
        **bad,
    }
    if bad == {"password": None}:
        del account["password"]
    body = await gql(http, ADD, {"input": account}, token=token_for("frank"))
    assert code_of(body) == "BAD_USER_INPUT"


async def test_start_scan_validates_months_and_ownership(http) -> None:
    account = await add_account(http, "gina")
    for months in (0, 25):
        body = await gql(
            http, START, {"id": account["id"], "months": months}, token=token_for("gina")
        )
        assert code_of(body) == "BAD_USER_INPUT"
        assert body["errors"][0]["extensions"]["argument"] == "months"
    body = await gql(http, START, {"id": account["id"]}, token=token_for("intruder"))
    assert code_of(body) == "NOT_FOUND"
    body = await gql(http, START, {"id": "nonsense"}, token=token_for("gina"))
    assert code_of(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["argument"] == "accountId"


async def test_second_scan_of_a_busy_account_conflicts(http, database) -> None:
    account = await add_account(http, "hank")
    running = ScanTask(
        id=str(uuid.uuid4()),
        account_id=account["id"],
        user_id="hank",
        scan_type=ScanType.INBOX,
        months=3,
    )
    await running.insert()
    try:
        body = await gql(http, START, {"id": account["id"]}, token=token_for("hank"))
        assert code_of(body) == "CONFLICT"
        assert body["errors"][0]["extensions"]["taskId"] == running.id
    finally:
        await ScanTask.apply_changes(running.id, {"status": TaskStatus.CANCELLED})
    status = data_of(await gql(http, STATUS, {"id": account["id"]}, token=token_for("hank")))
    assert status["scanStatus"] == {"id": running.id, "status": "CANCELLED"}


async def test_tasks_of_other_users_are_not_found(http, database) -> None:
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id="a" * 24,
        user_id="ivy",
        scan_type=ScanType.INBOX,
        months=1,
        status=TaskStatus.SUCCESS,
        active=None,
    )
    await task.insert()
    mine = data_of(await gql(http, TASK, {"id": task.id}, token=token_for("ivy")))
    assert mine["task"]["id"] == task.id
    assert code_of(await gql(http, TASK, {"id": task.id}, token=token_for("jack"))) == "NOT_FOUND"
    missing = await gql(http, TASK, {"id": str(uuid.uuid4())}, token=token_for("jack"))
    assert code_of(missing) == "NOT_FOUND"
    assert missing["errors"][0]["message"] == "No such task"
    admin = data_of(await gql(http, TASK, {"id": task.id}, token=token_for("root", admin=True)))
    assert admin["task"]["id"] == task.id
    bad = await gql(http, TASK, {"id": "nope"}, token=token_for("jack"))
    assert code_of(bad) == "BAD_USER_INPUT"


async def test_syntax_errors_are_bad_user_input(http) -> None:
    assert code_of(await gql(http, "{ me { id ", token=token_for("k"))) == "BAD_USER_INPUT"
    assert code_of(await gql(http, "{ nope }", token=token_for("k"))) == "BAD_USER_INPUT"


async def test_websocket_without_a_valid_token_is_refused(api_url) -> None:
    url = api_url.replace("http://", "ws://") + "/graphql"
    for payload in ({}, {"Authorization": "Bearer bad"}):
        async with websockets.connect(
            url, subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_my_task_updates_follow_a_scan(http, api_url, dovecot, worker) -> None:
    from datetime import UTC, datetime, timedelta

    dovecot.add_user("lena@example.com", "lena-pw")
    now = datetime.now(UTC)
    dovecot.append(
        "lena@example.com",
        "lena-pw",
        [
            (text_invoice(1, now - timedelta(days=3)), now - timedelta(days=3)),
            (plain_mail(2, now - timedelta(days=4)), now - timedelta(days=4)),
        ],
    )
    account = await add_account(
        http, "lena", dovecot, email="lena@example.com", password="lena-pw", verify=True
    )
    token = token_for("lena")
    async with Subscription(api_url, token) as ws:
        op = await ws.start("subscription { myTaskUpdates { id status progress emailsScanned } }")
        await asyncio.sleep(0.3)  # the subscription is "from now on": let it listen first
        started = data_of(await gql(http, START, {"id": account["id"], "months": 1}, token=token))
        task_id = started["startScan"]["taskId"]
        seen = []
        async with asyncio.timeout(60):
            async for message in ws.messages(op):
                update = message["data"]["myTaskUpdates"]
                assert update["id"] == task_id
                seen.append(update["status"])
                if update["status"] == "SUCCESS":
                    assert update["emailsScanned"] == 2 and update["progress"] == 100
                    break
    assert seen[0] == "PENDING" and "PROGRESS" in seen
    accounts = data_of(await gql(http, "{ emailAccounts { id lastScanAt } }", token=token))
    assert accounts["emailAccounts"][0]["lastScanAt"] is not None


async def test_task_progress_ends_even_when_the_terminal_event_was_never_published(
    api_url, database
) -> None:
    # As if the worker died between storing SUCCESS and publishing it: no event ever comes.
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id=uuid.uuid4().hex[:24],
        user_id="quiet",
        scan_type=ScanType.INBOX,
        months=1,
        status=TaskStatus.PROGRESS,
    )
    await task.insert()
    async with Subscription(api_url, token_for("quiet")) as ws:
        op = await ws.start(
            "subscription($t: ID!) { taskProgress(taskId: $t) { status progress } }", {"t": task.id}
        )
        messages = ws.messages(op)
        async with asyncio.timeout(10):  # SUBSCRIPTION_QUIET_REREAD_SECONDS is 2 in tests
            first = await anext(messages)
            done = {"status": TaskStatus.SUCCESS, "progress": 100}
            await ScanTask.apply_changes(task.id, done)  # stored, never published
            rest = [m async for m in messages]
    updates = [m["data"]["taskProgress"] for m in (first, *rest)]
    assert updates == [
        {"status": "PROGRESS", "progress": 0},
        {"status": "SUCCESS", "progress": 100},
    ]


async def test_task_progress_of_another_users_task_is_not_found(api_url, database) -> None:
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id="c" * 24,
        user_id="owner",
        scan_type=ScanType.INBOX,
        months=1,
    )
    await task.insert()
    try:
        async with Subscription(api_url, token_for("stranger")) as ws:
            op = await ws.start(
                "subscription($t: ID!) { taskProgress(taskId: $t) { id } }", {"t": task.id}
            )
            async with asyncio.timeout(10):
                messages = [message async for message in ws.messages(op)]
        assert [m["errors"][0]["extensions"]["code"] for m in messages] == ["NOT_FOUND"]
        assert messages[0]["errors"][0]["message"] == "No such task"
    finally:
        await ScanTask.apply_changes(task.id, {"status": TaskStatus.CANCELLED})


def test_unexpected_errors_reach_clients_without_detail() -> None:
    from graphql import GraphQLError

    from graph.errors import present

    error = GraphQLError("boom", original_error=ValueError("secret detail at /etc/x"))
    present(error)
    assert error.formatted["message"] == "Internal server error"
    assert error.formatted["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "secret" not in str(error.formatted)
