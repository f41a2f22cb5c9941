// A graphql-ws client (graphql-transport-ws protocol) as an application uses it, driven by a test.
// Usage: node graphql-ws-client.mjs WS_URL, with TOKEN in the environment (sent as the
// Authorization connection parameter; none when empty). Each stdin line is an operation,
// {"id": "...", "query": "...", "variables": {...}}, started at once; stdout gets one JSON line per
// event: {"event": "connected"}, {"event": "closed", "code", "reason"}, and for an operation
// {"id", "event": "next", "payload"}, {"id", "event": "error", "error"}, {"id", "event": "complete"}.
// When stdin closes, the script waits for its operations to end, then exits.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { commands, say } from "./lines.mjs";

const url = process.argv[2];
const token = process.env.TOKEN ?? "";

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
  on: {
    connected: () => say({ event: "connected" }),
    closed: (event) => say({ event: "closed", code: event.code, reason: event.reason }),
  },
});

/** What an error is, as JSON: a close event's code and reason, or GraphQL errors. */
function described(error) {
  if (Array.isArray(error)) return { errors: error };
  if (error && typeof error.code === "number") return { code: error.code, reason: error.reason };
  return { message: String(error?.message ?? error) };
}

function run({ id, query, variables }) {
  return new Promise((resolve) => {
    client.subscribe(
      { query, variables },
      {
        next: (payload) => say({ id, event: "next", payload }),
        error: (error) => {
          say({ id, event: "error", error: described(error) });
          resolve();
        },
        complete: () => {
          say({ id, event: "complete" });
          resolve();
        },
      },
    );
  });
}

const running = [];
for await (const operation of commands()) running.push(run(operation));
await Promise.all(running);
await client.dispose();
