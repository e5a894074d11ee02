// One scoring worker of the consumer group: reads the stream (and claims entries a dead worker
// left pending), scores through asyncInference against the sidecar, writes each result keyed by
// its message id and only then acknowledges it. Started by main.mjs; one JSON line per event.
import { parseArgs } from "node:util";
import { asyncInference, createSidecarClient } from "@gpu-sidecar/async-inference";
import { decodeTensorValues, encodeTensor } from "@gpu-sidecar/sidecar-core";
import { FRAUD_FEATURE_COUNT } from "@gpu-sidecar/sidecar-server/demo-model";
import { createClient } from "redis";
import { fromFields, GROUP, RESULTS, STREAM } from "./lib/stream-names.mjs";

const { values: args } = parseArgs({
  options: {
    redis: { type: "string" },
    sidecar: { type: "string" },
    consumer: { type: "string" },
    "claim-idle-ms": { type: "string", default: "3000" },
  },
});
const claimIdleMs = Number(args["claim-idle-ms"]);
const report = (event) =>
  process.stdout.write(`${JSON.stringify({ consumer: args.consumer, ...event })}\n`);

const connect = async () => {
  const client = createClient({ socket: { path: args.redis } });
  client.on("error", (error) => report({ event: "redis-error", message: error.message }));
  await client.connect();
  return client;
};
// XREADGROUP blocks its connection: results and acknowledgements travel on another.
const reader = await connect();
const writer = await connect();
const sidecar = createSidecarClient({
  endpoint: args.sidecar,
  reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
});

let stopping = false;
process.once("SIGTERM", () => {
  stopping = true;
});
let claimed = 0;
let scored = 0;

async function* messages() {
  let cursor = "0-0";
  let lastClaim = 0;
  while (!stopping) {
    if (Date.now() - lastClaim >= claimIdleMs / 2) {
      lastClaim = Date.now();
      const reply = await reader.xAutoClaim(STREAM, GROUP, args.consumer, claimIdleMs, cursor, {
        COUNT: 256,
      });
      cursor = reply.nextId;
      const taken = reply.messages.filter((message) => message !== null);
      if (taken.length > 0) {
        claimed += taken.length;
        report({ event: "claimed", count: taken.length });
        yield* taken;
        continue;
      }
    }
    const reply = await reader.xReadGroup(
      GROUP,
      args.consumer,
      { key: STREAM, id: ">" },
      { COUNT: 128, BLOCK: 200 },
    );
    for (const stream of reply ?? []) yield* stream.messages;
  }
}

const scoredMessages = asyncInference(messages(), {
  infer: (inputs, context) => sidecar.infer("fraud", inputs, context),
  encode: ({ message }) => [
    encodeTensor({
      name: "features",
      datatype: "FP32",
      shape: [1, FRAUD_FEATURE_COUNT],
      values: fromFields(message).features,
    }),
  ],
  decode: (outputs, { id, message }) => ({
    id,
    tx: Number(message.tx),
    merchant: message.merchant,
    score: decodeTensorValues({ ...outputs[0], datatype: "FP32" })[0],
  }),
  capacity: 256,
  batch: { maxRows: 32, maxDelayMs: 2 },
  timeoutMs: 60_000,
  // A sidecar restart is UNAVAILABLE for a moment: such calls wait and go again.
  retry: {
    strategy: "exponential",
    initialDelayMs: 50,
    maxDelayMs: 1000,
    multiplier: 2,
    jitter: 0.2,
    maxAttempts: 100,
  },
});

// The sink: results first, then XACK, in one MULTI so an entry is never acknowledged unwritten.
let pending = [];
let flushing = Promise.resolve();
function flush() {
  if (pending.length === 0) return flushing;
  const batch = pending;
  pending = [];
  flushing = flushing.then(async () => {
    await writer
      .multi()
      .hSet(
        RESULTS,
        Object.fromEntries(
          batch.map((r) => [
            r.id,
            JSON.stringify({ tx: r.tx, merchant: r.merchant, score: r.score }),
          ]),
        ),
      )
      .xAck(
        STREAM,
        GROUP,
        batch.map((r) => r.id),
      )
      .exec();
    scored += batch.length;
  });
  return flushing;
}
const timer = setInterval(() => void flush(), 20);
report({ event: "ready", pid: process.pid });
for await (const result of scoredMessages) {
  pending.push(result);
  if (pending.length >= 64) await flush();
}
clearInterval(timer);
await flush();
report({ event: "done", scored, claimed });
await Promise.all([reader.close(), writer.close(), sidecar.close()]);
