// The producer: XADDs `--messages` synthetic transactions to the stream, in pipelined batches.
// Transaction i carries the demo model's features for seed i and one of 40 merchants.
import { once } from "node:events";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { syntheticTransaction } from "@gpu-sidecar/sidecar-server/demo-model";
import { createClient } from "redis";
import { STREAM, toFields } from "./lib/stream-names.mjs";

const { values: args } = parseArgs({
  options: {
    redis: { type: "string" },
    messages: { type: "string" },
    start: { type: "string", default: "0" },
  },
});
const start = Number(args.start);
const count = Number(args.messages);
const client = createClient({ socket: { path: args.redis } });
await client.connect();
// main.mjs starts the clock when everyone is connected: wait for its "go" on stdin.
process.stdout.write(`${JSON.stringify({ event: "ready" })}\n`);
await once(createInterface({ input: process.stdin }), "line");
const BATCH = 500;
for (let first = start; first < start + count; first += BATCH) {
  const last = Math.min(first + BATCH, start + count);
  const writes = [];
  for (let tx = first; tx < last; tx++) {
    writes.push(client.xAdd(STREAM, "*", toFields(tx, merchantOf(tx), syntheticTransaction(tx))));
  }
  await Promise.all(writes);
}
await client.close();

function merchantOf(tx) {
  return `merchant-${String((tx * 7919) % 40).padStart(2, "0")}`;
}
