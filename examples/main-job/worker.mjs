// One streaming worker (a worker thread): it claims transaction seeds, scores each
// transaction through asyncInference and its own sidecar client over the Unix socket, and
// reports latencies and a sample of scores to the coordinator (main.mjs).
import { parentPort, workerData } from "node:worker_threads";
import { asyncInference, createSidecarClient } from "@gpu-sidecar/async-inference";
import { decodeTensorValues, encodeTensor } from "@gpu-sidecar/sidecar-core";
import { FRAUD_FEATURE_COUNT, syntheticTransaction } from "@gpu-sidecar/sidecar-server/demo-model";
import { claimSeed } from "./lib/run-control.mjs";

/** How often latencies go to the coordinator: often enough for a 2 Hz display. */
const REPORT_INTERVAL_MS = 100;
/** Scored transactions each worker keeps (a uniform reservoir) for the reference check. */
const SAMPLE_SIZE = 8;

const { socketPath, model, control, records, capacity, batchRows, timeoutMs } = workerData;

const client = createSidecarClient({ endpoint: `unix://${socketPath}` });

function* transactions() {
  for (;;) {
    const seed = claimSeed(control, records);
    if (seed === undefined) return;
    yield { seed, features: syntheticTransaction(seed), admittedAt: performance.now() };
  }
}

const scores = asyncInference(transactions(), {
  infer: (inputs, context) => client.infer(model, inputs, context),
  encode: (transaction) => [
    encodeTensor({
      name: "features",
      datatype: "FP32",
      shape: [1, FRAUD_FEATURE_COUNT],
      values: transaction.features,
    }),
  ],
  decode: (outputs, transaction) => {
    const output = outputs.find((tensor) => tensor.name === "fraud_score") ?? outputs[0];
    return {
      seed: transaction.seed,
      admittedAt: transaction.admittedAt,
      score: decodeTensorValues(output)[0],
    };
  },
  capacity,
  ordered: false,
  timeoutMs,
  retry: {
    strategy: "exponential",
    initialDelayMs: 10,
    maxDelayMs: 200,
    jitter: 0.2,
    maxAttempts: 3,
  },
  ...(batchRows > 1 ? { batch: { maxRows: batchRows, maxDelayMs: 1 } } : {}),
  modelName: model,
});

// Latencies since the last report, in ms; sent as a transferred Float64Array.
let latencies = new Float64Array(1024);
let pending = 0;
let scored = 0;
const sample = [];

function report() {
  if (pending === 0) return;
  const chunk = latencies.slice(0, pending);
  parentPort.postMessage({ type: "progress", latencies: chunk }, [chunk.buffer]);
  pending = 0;
}

// The modules are loaded: tell the coordinator, and start streaming when it
// says so, all workers together, so that the run's clock measures streaming only.
await new Promise((resolve) => {
  parentPort.once("message", resolve);
  parentPort.postMessage({ type: "ready" });
});

const timer = setInterval(report, REPORT_INTERVAL_MS);
try {
  for await (const { seed, admittedAt, score } of scores) {
    if (pending === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[pending++] = performance.now() - admittedAt;
    scored++;
    // Reservoir sampling: every scored transaction is equally likely to be checked.
    if (sample.length < SAMPLE_SIZE) sample.push({ seed, score });
    else {
      const slot = Math.floor(Math.random() * scored);
      if (slot < SAMPLE_SIZE) sample[slot] = { seed, score };
    }
  }
  report();
  parentPort.postMessage({ type: "done", scored, sample });
} catch (error) {
  report();
  parentPort.postMessage({
    type: "failed",
    scored,
    message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    code: error?.code,
  });
} finally {
  clearInterval(timer);
  await client.close();
}
