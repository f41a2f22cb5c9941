"""A scripted walk through every operation of the public contract, as a user and as an admin."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.support.graphql import Subscription, data_of, gql, imap_account, token_for
from tests.support.mail import pdf_invoice, plain_mail, text_invoice

TASK_FIELDS = (
    "id accountId userId scanType months status progress currentStatus emailsTotal "
    "emailsScanned invoicesFound errorCount error estimatedDurationSeconds "
    "actualDurationSeconds createdAt startedAt finishedAt"
)


async def next_matching(ws: Subscription, op: str, field: str, task_id: str, status: str) -> dict:
    async with asyncio.timeout(30):
        async for message in ws.messages(op):
            update = message["data"][field]
            if update["id"] == task_id and update["status"] == status:
                return update
    raise AssertionError(f"{field} completed before {status}")


async def test_every_contract_operation(http, api_url, dovecot, worker, database) -> None:
    user, admin = token_for("walker"), token_for("walk-admin", admin=True)
    dovecot.add_user("walker@example.com", "walk-pw")
    now = datetime.now(UTC)
    dovecot.append(
        "walker@example.com",
        "walk-pw",
        [
            (text_invoice(1, now - timedelta(days=1)), now - timedelta(days=1)),
            (pdf_invoice(2, now - timedelta(days=2)), now - timedelta(days=2)),
            (plain_mail(3, now - timedelta(days=3)), now - timedelta(days=3)),
        ],
    )

    me = data_of(await gql(http, "{ me { id role } }", token=user))["me"]
    assert me == {"id": "walker", "role": "USER"}
    account = data_of(
        await gql(
            http,
            """mutation($i: AddEmailAccountInput!) {
        addEmailAccount(input: $i) { id email imapPort security username groupAddresses } }""",
            {"i": imap_account("walker@example.com", "walk-pw", dovecot.port)},
            token=user,
        )
    )["addEmailAccount"]
    accounts = data_of(await gql(http, "{ emailAccounts { id } }", token=user))["emailAccounts"]
    assert accounts == [{"id": account["id"]}]

    async with Subscription(api_url, user) as mine, Subscription(api_url, admin) as everyone:
        my_op = await mine.start("subscription { myTaskUpdates { id status } }")
        all_op = await everyone.start("subscription { allTaskUpdates { id status userId } }")
        await asyncio.sleep(0.3)
        started = data_of(
            await gql(
                http,
                f"""mutation($a: ID!) {{
            startScan(accountId: $a, scanType: INBOX, months: 1) {{
              message taskId status estimatedDurationSeconds task {{ {TASK_FIELDS} }} }} }}""",
                {"a": account["id"]},
                token=user,
            )
        )["startScan"]
        task_id = started["taskId"]
        follow = await mine.start(
            f"subscription($t: ID!) {{ taskProgress(taskId: $t) {{ {TASK_FIELDS} }} }}",
            {"t": task_id},
        )
        async with asyncio.timeout(60):
            progress = [m["data"]["taskProgress"] async for m in mine.messages(follow)]
        final = progress[-1]
        assert final["status"] == "SUCCESS" and final["emailsScanned"] == 3
        assert final["invoicesFound"] == 2 and final["progress"] == 100
        assert await next_matching(mine, my_op, "myTaskUpdates", task_id, "SUCCESS")
        seen = await next_matching(everyone, all_op, "allTaskUpdates", task_id, "SUCCESS")
        assert seen["userId"] == "walker"

    task = data_of(
        await gql(
            http, "query($t: ID!) { task(taskId: $t) { id status } }", {"t": task_id}, token=user
        )
    )["task"]
    assert task == {"id": task_id, "status": "SUCCESS"}
    status = data_of(
        await gql(
            http,
            "query($a: ID!) { scanStatus(accountId: $a) { id } }",
            {"a": account["id"]},
            token=user,
        )
    )["scanStatus"]
    assert status == {"id": task_id}
    lists = data_of(
        await gql(
            http,
            """query($a: ID!) {
        myTasks(status: [SUCCESS]) { totalCount edges { node { id } } }
        taskHistory(accountId: $a) { totalCount pageInfo { hasNextPage endCursor } }
        invoices(accountId: $a) { totalCount edges { cursor node { taskId source subject
          attachmentName totalAmount currency } } } }""",
            {"a": account["id"]},
            token=user,
        )
    )
    assert lists["myTasks"]["edges"] == [{"node": {"id": task_id}}]
    assert lists["taskHistory"]["totalCount"] == 1
    invoices = sorted((e["node"] for e in lists["invoices"]["edges"]), key=lambda n: n["source"])
    assert [(i["source"], i["attachmentName"]) for i in invoices] == [
        ("PDF", "invoice-00002.pdf"),
        ("TEXT", None),
    ]
    assert (invoices[1]["totalAmount"], invoices[1]["currency"]) == ("119.00", "EUR")

    admin_view = data_of(
        await gql(
            http,
            """{ scanningStats { total invoicesFound }
        activeTasks { id } systemHealth { status workers { hostname } } }""",
            token=admin,
        )
    )
    assert admin_view["scanningStats"]["total"] >= 1
    assert admin_view["systemHealth"]["status"] == "OK"

    again = data_of(
        await gql(
            http,
            "mutation($a: ID!) { startScan(accountId: $a) { taskId } }",
            {"a": account["id"]},
            token=user,
        )
    )["startScan"]["taskId"]
    cancelled = data_of(
        await gql(
            http,
            "mutation($a: ID) { cancelScan(accountId: $a) { id status } }",
            {"a": account["id"]},
            token=user,
        )
    )
    assert cancelled["cancelScan"]["id"] == again
    assert cancelled["cancelScan"]["status"] in ("CANCELLED", "SUCCESS")  # it may have won
    cancel_all = data_of(await gql(http, "mutation { cancelAllTasks { cancelled } }", token=admin))
    assert cancel_all["cancelAllTasks"]["cancelled"] >= 0

    removed = data_of(
        await gql(
            http,
            "mutation($a: ID!) { removeEmailAccount(accountId: $a) }",
            {"a": account["id"]},
            token=user,
        )
    )
    assert removed == {"removeEmailAccount": True}
    after = data_of(
        await gql(
            http,
            "{ emailAccounts { id } invoices { totalCount } myTasks { totalCount } }",
            token=user,
        )
    )
    assert after == {
        "emailAccounts": [],
        "invoices": {"totalCount": 0},
        "myTasks": {"totalCount": 2},
    }
