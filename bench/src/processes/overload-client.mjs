// One load generator of the overload scenario: requests leave at a fixed rate, as independent
// producers send them, but never more than `window` at once. A request that comes due while the
// window is full is not sent and counted as withheld, so no request waits in the generator's
// own queue: every time measured runs from the moment a request left to its answer, and is the
// sidecar's (and the connection's), not the generator's backlog. Plain client calls, no operator.
import { createSidecarClient } from "@gpu-sidecar/async-inference";
import { ErrorCode, encodeTensor, SidecarError } from "@gpu-sidecar/sidecar-core";
import { FRAUD_FEATURE_COUNT } from "@gpu-sidecar/sidecar-server/demo-model";
import { LatencyRecorder } from "../latency-recorder.mjs";
import { serveMeasurement } from "../measured-process.mjs";
import { poolRow, transactionPool } from "../transaction-pool.mjs";

/**
 * @typedef {object} OverloadClientSettings
 * @property {string} endpoint
 * @property {string} modelName
 * @property {string} inputName
 * @property {number} ratePerSecond Requests this process offers.
 * @property {number} window Most requests of this process in flight at once.
 * @property {number} warmupMs
 * @property {number} firstSeed Of the worker's records: distinct per worker.
 */

/**
 * @typedef {object} OverloadClientResult
 * @property {number} sent
 * @property {number} withheld Came due while the window was full, and were not sent.
 * @property {number} elapsedMs The sending phase.
 * @property {number} succeeded
 * @property {number} rejected Answered RESOURCE_EXHAUSTED.
 * @property {number} failed Any other error.
 * @property {string | undefined} firstFailure
 * @property {Float64Array} rejectionMs Time from sending to the rejection.
 * @property {Float64Array} successMs Time from sending to the result.
 */

/** A request may wait this long for an answer before it counts as failed. */
const REQUEST_TIMEOUT_MS = 10_000;
/** The scheduler's tick; each tick sends every request that has come due. */
const TICK_MS = 1;

await serveMeasurement(async (/** @type {OverloadClientSettings} */ settings) => {
  const client = createSidecarClient({ endpoint: settings.endpoint });
  const pool = transactionPool(settings.firstSeed);
  const shape = [1, FRAUD_FEATURE_COUNT];
  let index = 0;
  const request = () =>
    client.infer(
      settings.modelName,
      [
        encodeTensor({
          name: settings.inputName,
          datatype: "FP32",
          shape,
          values: poolRow(pool, index++),
        }),
      ],
      { timeoutMs: REQUEST_TIMEOUT_MS },
    );

  await client.ready(settings.modelName);
  // Closed-loop warm-up: the connection, the JIT and the sidecar's first batches.
  for (const end = performance.now() + settings.warmupMs; performance.now() < end; ) {
    await request();
  }

  return {
    /** @returns {Promise<OverloadClientResult>} */
    async measure(durationMs) {
      const rejectionMs = new LatencyRecorder();
      const successMs = new LatencyRecorder();
      let succeeded = 0;
      let failed = 0;
      /** @type {string | undefined} */
      let firstFailure;
      /** @type {Set<Promise<void>>} */
      const inFlight = new Set();
      const send = () => {
        const sentAt = performance.now();
        const call = request().then(
          () => {
            succeeded++;
            successMs.record(performance.now() - sentAt);
          },
          (/** @type {unknown} */ error) => {
            const code = SidecarError.from(error).code;
            if (code === ErrorCode.ResourceExhausted) {
              rejectionMs.record(performance.now() - sentAt);
              return;
            }
            failed++;
            firstFailure ??= `${code}: ${SidecarError.from(error).message}`;
          },
        );
        inFlight.add(call);
        void call.then(() => inFlight.delete(call));
      };
      const perMs = settings.ratePerSecond / 1000;
      const start = performance.now();
      let due = 0;
      let sent = 0;
      let withheld = 0;
      await new Promise((resolve) => {
        const tick = () => {
          const elapsed = Math.min(performance.now() - start, durationMs);
          for (const total = Math.floor(elapsed * perMs); due < total; due++) {
            if (inFlight.size < settings.window) {
              send();
              sent++;
            } else {
              withheld++;
            }
          }
          if (elapsed < durationMs) setTimeout(tick, TICK_MS);
          else resolve(undefined);
        };
        tick();
      });
      const elapsedMs = performance.now() - start;
      await Promise.all(inFlight);
      return {
        sent,
        withheld,
        elapsedMs,
        succeeded,
        rejected: rejectionMs.count,
        failed,
        firstFailure,
        rejectionMs: rejectionMs.samples(),
        successMs: successMs.samples(),
      };
    },
    close: () => client.close(),
  };
});
