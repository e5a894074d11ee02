// One worker of the embedded contender, the alternative the sidecar replaces: the worker loads
// its own copy of the model and calls it once per record, as a stream worker that embeds
// onnxruntime-node does. Session options are onnxruntime's defaults, the same as the sidecar's
// onnx backend and the ceiling use.

import { FRAUD_FEATURE_COUNT } from "@gpu-sidecar/sidecar-server/demo-model";
import * as ort from "onnxruntime-node";
import { measureWithLatencies } from "../latency-recorder.mjs";
import { serveMeasurement } from "../measured-process.mjs";
import { poolRow, transactionPool } from "../transaction-pool.mjs";

/**
 * @typedef {object} EmbeddedWorkerSettings
 * @property {string} onnxPath
 * @property {string} inputName
 * @property {string} outputName
 * @property {number} warmupMs
 * @property {number} firstSeed Of the worker's records: distinct per worker.
 */

await serveMeasurement(async (/** @type {EmbeddedWorkerSettings} */ settings) => {
  const session = await ort.InferenceSession.create(settings.onnxPath, {
    executionProviders: ["cpu"],
  });
  const pool = transactionPool(settings.firstSeed);
  const shape = [1, FRAUD_FEATURE_COUNT];
  let index = 0;

  /** Calls the model per record until `durationMs` has passed. @param {number} durationMs */
  async function stream(
    durationMs,
    /** @type {import("../latency-recorder.mjs").LatencyRecorder | undefined} */ latencies,
  ) {
    const start = performance.now();
    let now = start;
    let rows = 0;
    while (now - start < durationMs) {
      const outputs = await session.run({
        [settings.inputName]: new ort.Tensor("float32", poolRow(pool, index++), shape),
      });
      const score = outputs[settings.outputName]?.data[0];
      if (typeof score !== "number") throw new Error(`embedded: no ${settings.outputName} value`);
      const done = performance.now();
      latencies?.record(done - now);
      now = done;
      rows++;
    }
    return { rows, elapsedMs: now - start };
  }

  await stream(settings.warmupMs, undefined);
  return {
    measure: measureWithLatencies(stream),
    close: () => session.release(),
  };
});
