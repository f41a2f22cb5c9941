"""Every way one user could reach another user's data answers NOT_FOUND (exactly as for an id
that does not exist) or leaves it out, and changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from beanie import PydanticObjectId

from core.credentials import decrypt_secret
from models import EmailAccount, Invoice, ScanTask
from models.enums import InvoiceSource, ScanType, TaskStatus
from tests.support.graphql import Subscription, data_of, gql, imap_account, token_for

ADD = "mutation($i: AddEmailAccountInput!) { addEmailAccount(input: $i) { id } }"
BY_ACCOUNT = {
    "scanStatus": "query($a: ID!) { scanStatus(accountId: $a) { id } }",
    "taskHistory": "query($a: ID!) { taskHistory(accountId: $a) { totalCount } }",
    "invoices": "query($a: ID) { invoices(accountId: $a) { totalCount } }",
    "startScan": "mutation($a: ID!) { startScan(accountId: $a) { taskId } }",
    "cancelScan": "mutation($a: ID) { cancelScan(accountId: $a) { id } }",
    "removeEmailAccount": "mutation($a: ID!) { removeEmailAccount(accountId: $a) }",
}
BY_TASK = {
    "task": "query($t: ID!) { task(taskId: $t) { id } }",
    "cancelScan": "mutation($t: ID) { cancelScan(taskId: $t) { id } }",
}


def error_of(body: dict) -> tuple[str, str]:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"], body["errors"][0]["message"]


async def test_no_path_leads_to_another_users_data(http, api_url, database) -> None:
    alice, mallory = token_for("iso-alice"), token_for("iso-mallory")
    account = data_of(
        await gql(
            http,
            ADD,
            {"i": imap_account("iso-alice@example.com", "secret-pw", 1, verify=False)},
            token=alice,
        )
    )["addEmailAccount"]["id"]
    task = ScanTask(
        id=str(uuid.uuid4()),
        account_id=account,
        user_id="iso-alice",
        scan_type=ScanType.INBOX,
        months=1,
    )
    await task.insert()
    await Invoice.new(
        account_id=account,
        user_id="iso-alice",
        task_id=task.id,
        message_id="<iso@x>",
        part_key="body",
        folder="INBOX",
        subject="Invoice",
        sender="v@x",
        received_at=datetime.now(UTC),
        source=InvoiceSource.TEXT,
    ).insert()
    missing_account, missing_task = "0" * 24, str(uuid.uuid4())

    for name, query in BY_ACCOUNT.items():
        theirs = error_of(await gql(http, query, {"a": account}, token=mallory))
        nothing = error_of(await gql(http, query, {"a": missing_account}, token=mallory))
        assert theirs[0] == "NOT_FOUND", name
        assert theirs == nothing, f"{name} tells another user's account from a missing one"
    for name, query in BY_TASK.items():
        theirs = error_of(await gql(http, query, {"t": task.id}, token=mallory))
        assert theirs == error_of(await gql(http, query, {"t": missing_task}, token=mallory))
        assert theirs[0] == "NOT_FOUND", name

    lists = data_of(
        await gql(
            http,
            """{ emailAccounts { id } myTasks { totalCount }
        invoices { totalCount } }""",
            token=mallory,
        )
    )
    assert lists == {
        "emailAccounts": [],
        "myTasks": {"totalCount": 0},
        "invoices": {"totalCount": 0},
    }

    async with Subscription(api_url, mallory) as ws:
        op = await ws.start(
            "subscription($t: ID!) { taskProgress(taskId: $t) { id } }", {"t": task.id}
        )
        async with asyncio.timeout(10):
            messages = [m async for m in ws.messages(op)]
        assert messages[0]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        mine = await ws.start("subscription { myTaskUpdates { id } }")
        await asyncio.sleep(0.3)
        data_of(await gql(http, BY_TASK["cancelScan"], {"t": task.id}, token=alice))
        try:
            async with asyncio.timeout(1.5):
                leaked = [m async for m in ws.messages(mine)]
        except TimeoutError:
            leaked = []
        assert leaked == [], "myTaskUpdates carried another user's task"

    stored = await EmailAccount.get(account)
    assert stored is not None  # nothing of Alice's was removed by Mallory's attempts
    assert await Invoice.find(Invoice.account_id == account).count() == 1
    cancelled = await ScanTask.get(task.id)
    assert cancelled is not None and cancelled.status is TaskStatus.CANCELLED  # by Alice only


async def test_credentials_are_encrypted_at_rest_and_never_returned(http, services) -> None:
    token = token_for("vault")
    password = "correct-horse-battery-" + uuid.uuid4().hex
    account_id = data_of(
        await gql(
            http,
            ADD,
            {"i": imap_account("vault@example.com", password, 1, verify=False)},
            token=token,
        )
    )["addEmailAccount"]["id"]
    raw = await EmailAccount.get_pymongo_collection().find_one(
        {"_id": PydanticObjectId(account_id)}
    )
    assert raw is not None
    assert password not in str(raw)
    assert decrypt_secret(raw["password_encrypted"]) == password
    everything = await gql(
        http,
        """{ emailAccounts { id email imapHost imapPort security
        username groupAddresses createdAt lastScanAt } }""",
        token=token,
    )
    assert password not in str(everything)
    logs = "".join(path.read_text(errors="replace") for path in services.base.glob("*.log"))
    assert password not in logs
