// Headless Chromium on the API's GraphiQL page, with no network beyond this machine: every host
// name but 127.0.0.1 fails to resolve, so a page that needs a CDN cannot load it.
// Usage: node graphiql-browser.mjs, CHROMIUM in the environment (default /usr/bin/chromium).
// Each stdin line is a step, {"open": URL, "run": true, "expect": TEXT, "timeout": MS} (every part
// optional, done in that order: load the page until GraphiQL's editor shows, press its run
// button, wait until the result pane shows TEXT); stdout gets one JSON line per step,
// {"event": "done", "response": TEXT} or {"event": "failed", "error", "response", "page"}.
// When stdin closes: {"event": "summary", "requests", "failed", "pageErrors", "wsFrames"}.
import { chromium } from "playwright-core";

import { commands, say } from "./lines.mjs";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // --no-sandbox: Chromium's sandbox refuses to run as root, as CI does.
  args: ["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
});
const page = await browser.newPage();
const requests = [];
const failed = [];
const pageErrors = [];
const wsFrames = [];
page.on("request", (request) => requests.push(request.url()));
page.on("requestfailed", (request) =>
  failed.push({ url: request.url(), error: request.failure()?.errorText }),
);
page.on("pageerror", (error) => pageErrors.push(String(error)));
page.on("websocket", (socket) =>
  socket.on("framereceived", (frame) => wsFrames.push(String(frame.payload))),
);

const response = page.locator(".graphiql-response");

async function shown() {
  return (await response.count()) ? await response.innerText() : null;
}

async function step({ open, run, expect, timeout = 30_000 }) {
  if (open) {
    await page.goto(open);
    await page.locator(".graphiql-execute-button").waitFor({ timeout });
  }
  if (run) await page.locator(".graphiql-execute-button").click({ timeout });
  if (expect) await response.filter({ hasText: expect }).waitFor({ timeout });
}

for await (const command of commands()) {
  try {
    await step(command);
    say({ event: "done", response: await shown() });
  } catch (error) {
    const text = await page.locator("body").innerText().catch(() => null);
    say({ event: "failed", error: String(error), response: await shown(), page: text?.slice(0, 500) });
  }
}
say({ event: "summary", requests, failed, pageErrors, wsFrames });
await browser.close();
