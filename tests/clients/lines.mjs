// JSON lines in and out: what the pytest tests and these scripts say to each other.
import { createInterface } from "node:readline";

/** Print one JSON line on stdout (the tests read them). */
export function say(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

/** Each JSON line of stdin, in turn, until the test closes stdin. */
export async function* commands() {
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim()) yield JSON.parse(line);
  }
}
