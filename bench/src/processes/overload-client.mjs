// One load generator of the overload scenario. Open loop: requests leave at a fixed rate whether
// or not earlier ones have been answered, as independent producers do, so a slow sidecar meets
// more work instead of slowing its callers down. Plain client calls, no operator: the operator's
// capacity bound would turn this back into a closed loop.
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
 * @property {number} warmupMs
 * @property {number} firstSeed Of the worker's records: distinct per worker.
 */

/**
 * @typedef {object} OverloadClientResult
 * @property {number} sent
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
      /** @type {Promise<void>[]} */
      const pending = [];
      const send = () => {
        const sentAt = performance.now();
        pending.push(
          request().then(
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
          ),
        );
      };
      const perMs = settings.ratePerSecond / 1000;
      const start = performance.now();
      let sent = 0;
      await new Promise((resolve) => {
        const tick = () => {
          const elapsed = Math.min(performance.now() - start, durationMs);
          for (const due = Math.floor(elapsed * perMs); sent < due; sent++) send();
          if (elapsed < durationMs) setTimeout(tick, TICK_MS);
          else resolve(undefined);
        };
        tick();
      });
      const elapsedMs = performance.now() - start;
      await Promise.all(pending);
      return {
        sent,
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
