#!/usr/bin/env node
// Where a sidecar call's CPU goes: one sidecar process on the small model, one client calling it
// with one record in flight (or `--window N` records), and the sidecar's CPU per call split by
// thread (/proc/<pid>/task). With --cpu-prof the sidecar also writes a V8 CPU profile of its
// main thread to bench/bench-results/profiles/. Findings: packages/sidecar-server/docs/hot-path.md.
//
// `--rows R` sends R records per call, as the coalescing client does; `--model large` calls the
// bench's large model instead.
//
//   node bench/profile.mjs [--transport unary|stream] [--calls 3000] [--window 1] [--rows 1]
//                          [--model small|large] [--cpu-prof]
import { mkdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { createSidecarClient } from "@gpu-sidecar/async-inference";
import { encodeTensor } from "@gpu-sidecar/sidecar-core";
import { FRAUD_FEATURE_COUNT } from "@gpu-sidecar/sidecar-server/demo-model";
import { prepareBenchModel } from "./src/bench-models.mjs";
import { threadCpu, threadCpuDelta } from "./src/profile/thread-cpu.mjs";
import { startSidecarProcess } from "./src/sidecar-process.mjs";
import { POOL_ROWS, transactionPool } from "./src/transaction-pool.mjs";

const { values } = parseArgs({
  options: {
    transport: { type: "string", default: "unary" },
    calls: { type: "string", default: "3000" },
    window: { type: "string", default: "1" },
    rows: { type: "string", default: "1" },
    model: { type: "string", default: "small" },
    "cpu-prof": { type: "boolean", default: false },
  },
});
const transport = values.transport;
if (transport !== "unary" && transport !== "stream") {
  throw new Error(`--transport ${transport}: expected unary or stream`);
}
const calls = Number(values.calls);
const window = Number(values.window);
const rows = Number(values.rows);
if (!(Number.isSafeInteger(rows) && rows >= 1 && rows <= POOL_ROWS)) {
  throw new Error(`--rows ${values.rows}: expected an integer from 1 to ${POOL_ROWS}`);
}
const profileDir = new URL("./bench-results/profiles/", import.meta.url).pathname;
if (values["cpu-prof"]) mkdirSync(profileDir, { recursive: true });

if (values.model !== "small" && values.model !== "large") {
  throw new Error(`--model ${values.model}: expected small or large`);
}
const model = prepareBenchModel(values.model, false);
const sidecar = await startSidecarProcess({
  repository: model.repository,
  modelName: model.modelName,
  ...(values["cpu-prof"] ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] } : {}),
});
const client = createSidecarClient({ endpoint: sidecar.endpoint });
const session = transport === "stream" ? client.createStreamSession(model.modelName) : undefined;
const pool = transactionPool(1);
const infer = (/** @type {number} */ i) => {
  const start = ((i * rows) % (POOL_ROWS - rows + 1)) * FRAUD_FEATURE_COUNT;
  const inputs = [
    encodeTensor({
      name: model.inputName,
      datatype: "FP32",
      shape: [rows, FRAUD_FEATURE_COUNT],
      values: pool.subarray(start, start + rows * FRAUD_FEATURE_COUNT),
    }),
  ];
  return session === undefined ? client.infer(model.modelName, inputs) : session.infer(inputs);
};
/** `count` calls, at most `window` in flight. */
async function run(/** @type {number} */ count) {
  let next = 0;
  const lane = async () => {
    while (next < count) await infer(next++);
  };
  await Promise.all(Array.from({ length: window }, lane));
}

try {
  await client.ready(model.modelName);
  await run(Math.min(2000, calls));
  const before = threadCpu(sidecar.pid);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await run(calls);
  const elapsedMs = performance.now() - started;
  const clientUsage = process.cpuUsage(clientBefore);
  const threads = threadCpuDelta(before, threadCpu(sidecar.pid), sidecar.pid);
  const total = threads.reduce((sum, t) => sum + t.cpuMs, 0);
  const perCall = (/** @type {number} */ ms) => ((ms * 1000) / calls).toFixed(0);
  process.stdout.write(
    `${transport}, window ${window}, ${rows} rows per call: ${calls} calls in ${elapsedMs.toFixed(0)} ms, ` +
      `${((elapsedMs * 1000) / calls).toFixed(0)} µs per call, ${((calls * rows * 1000) / elapsedMs).toFixed(0)} rows/s\n` +
      `sidecar CPU ${perCall(total)} µs per call; client CPU ${perCall((clientUsage.user + clientUsage.system) / 1000)} µs per call\n`,
  );
  for (const { tid, name, cpuMs, runs } of threads) {
    process.stdout.write(
      `  ${String(tid).padStart(8)} ${name.padEnd(18)} ${perCall(cpuMs)} µs, ` +
        `${(runs / calls).toFixed(1)} wake-ups per call\n`,
    );
  }
} finally {
  await client.close();
  await sidecar.stop();
}
if (values["cpu-prof"]) process.stdout.write(`profile in ${profileDir}\n`);
