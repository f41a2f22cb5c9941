"""The API's GraphiQL page in headless Chromium with no network beyond this machine: it renders,
runs a query with the caller's token, and follows a real scan's subscription to SUCCESS."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from tests.support.graphql import data_of, gql, token_for
from tests.support.node import NodeScript
from tests.support.scans import proxied_mailbox, wait_until

MESSAGES = 12
START_SCAN = "mutation Start($id: ID!) { startScan(accountId: $id, months: 1) { taskId } }"
FOLLOW = """subscription Follow($taskId: ID!) {
  taskProgress(taskId: $taskId) { id status progress emailsScanned invoicesFound }
}"""


def page_url(api_url: str, query: str, token: str, variables: dict[str, Any] | None = None) -> str:
    """GraphiQL opened on `query`, its variables and an Authorization header, as a shared link."""
    parameters = {"q": query, "headers": json.dumps({"Authorization": f"Bearer {token}"})}
    if variables is not None:
        parameters["variables"] = json.dumps(variables)
    # The page decodes with decodeURIComponent, which keeps "+": spaces must be %20.
    return f"{api_url}/graphql?{urlencode(parameters, quote_via=quote)}"


def shown(step: dict[str, Any]) -> Any:
    """The JSON of the result pane after a step (the editor renders indents as no-break spaces)."""
    assert step["event"] == "done", step
    return json.loads(step["response"].replace("\xa0", " "))


def statuses(frames: list[str]) -> list[str]:
    """The status of every taskProgress event the page received on its websocket."""
    messages = [json.loads(frame) for frame in frames]
    return [
        message["payload"]["data"]["taskProgress"]["status"]
        for message in messages
        if message.get("type") == "next"
    ]


async def test_graphiql_works_without_internet(dovecot, worker, api_url, http, database) -> None:
    async with proxied_mailbox(dovecot, MESSAGES) as (account, proxy):
        user, token = account.user_id, token_for(account.user_id)
        async with NodeScript("graphiql-browser.mjs") as browser:
            await browser.send(
                {"open": page_url(api_url, "{ me { id } }", token), "run": True, "expect": user}
            )
            me = await browser.read(90)
            assert shown(me) == {"data": {"me": {"id": user}}}

            # The scan holds at its first FETCH until released: the page shows it running first.
            proxy.hold_after = b" FETCH "
            started = await gql(http, START_SCAN, {"id": str(account.id)}, token=token)
            task_id = data_of(started)["startScan"]["taskId"]
            await asyncio.wait_for(proxy.stalled.wait(), 30)
            await wait_until(task_id, lambda task: task.emails_total is not None, 10)
            follow = page_url(api_url, FOLLOW, token, {"taskId": task_id})
            await browser.send({"open": follow, "run": True, "expect": '"PROGRESS"'})
            running = shown(await browser.read(90))["data"]["taskProgress"]
            assert (running["status"], running["emailsScanned"]) == ("PROGRESS", 0)
            proxy.release()
            await browser.send({"expect": '"SUCCESS"', "timeout": 60_000})
            final = shown(await browser.read(90))["data"]["taskProgress"]
            summary = (await browser.finish())[-1]

    assert final == {
        "id": task_id,
        "status": "SUCCESS",
        "progress": 100,
        "emailsScanned": MESSAGES,
        "invoicesFound": MESSAGES // 3,
    }
    seen = statuses(summary["wsFrames"])
    assert seen[0] == "PROGRESS" and seen[-1] == "SUCCESS", seen
    assert summary["pageErrors"] == [] and summary["failed"] == [], summary
    hosts = {urlsplit(url).netloc for url in summary["requests"] if not url.startswith("data:")}
    assert hosts == {urlsplit(api_url).netloc}, hosts
