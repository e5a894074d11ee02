// One worker of the sidecar contender: a stream of records through async-inference's operator,
// one ModelInfer per record (or per coalesced group, or one ModelStreamInfer stream for all) to
// the sidecar over its Unix socket, as a pipeline worker uses the product.
import { asyncInference, createSidecarClient } from "@gpu-sidecar/async-inference";
import { decodeTensorValues, encodeTensor } from "@gpu-sidecar/sidecar-core";
import { FRAUD_FEATURE_COUNT } from "@gpu-sidecar/sidecar-server/demo-model";
import { LatencyRecorder, measureWithLatencies } from "../latency-recorder.mjs";
import { serveMeasurement } from "../measured-process.mjs";
import { poolRow, transactionPool } from "../transaction-pool.mjs";

/**
 * @typedef {object} SidecarWorkerSettings
 * @property {string} endpoint
 * @property {string} modelName
 * @property {string} inputName
 * @property {string} outputName
 * @property {number} capacity The operator's bound on records in flight.
 * @property {{ maxRows: number, maxDelayMs: number } | undefined} batch Coalescing, when set.
 * @property {"unary" | "stream"} transport ModelInfer per call, or one ModelStreamInfer stream.
 * @property {number} warmupMs
 * @property {number} firstSeed Of the worker's records: distinct per worker.
 */

/** A record in flight: its features and when the operator took it from the source. */
/** @typedef {{ features: Float32Array, startedAt: number }} TimedRecord */

await serveMeasurement(async (/** @type {SidecarWorkerSettings} */ settings) => {
  const client = createSidecarClient({ endpoint: settings.endpoint });
  const session =
    settings.transport === "stream" ? client.createStreamSession(settings.modelName) : undefined;
  const pool = transactionPool(settings.firstSeed);
  const shape = [1, FRAUD_FEATURE_COUNT];
  let index = 0;

  /**
   * Records until `durationMs` has passed. The operator pulls one when it has room, so
   * `startedAt` is the moment the record entered the pipeline.
   * @param {number} durationMs
   */
  async function* records(durationMs) {
    const end = performance.now() + durationMs;
    for (let now = performance.now(); now < end; now = performance.now()) {
      yield { features: poolRow(pool, index++), startedAt: now };
    }
  }

  /** @param {number} durationMs @param {LatencyRecorder | undefined} latencies */
  async function stream(durationMs, latencies) {
    const start = performance.now();
    let rows = 0;
    const results = asyncInference(records(durationMs), {
      infer: (inputs, context) =>
        session === undefined
          ? client.infer(settings.modelName, inputs, context)
          : session.infer(inputs, context),
      encode: (/** @type {TimedRecord} */ record) => [
        encodeTensor({
          name: settings.inputName,
          datatype: "FP32",
          shape,
          values: record.features,
        }),
      ],
      decode: (outputs, record) => {
        const [output] = outputs;
        if (output === undefined || decodeTensorValues(output).length !== 1) {
          throw new Error(`sidecar worker: no ${settings.outputName} row in the result`);
        }
        return record;
      },
      capacity: settings.capacity,
      ...(settings.batch === undefined ? {} : { batch: settings.batch }),
    });
    for await (const record of results) {
      latencies?.record(performance.now() - record.startedAt);
      rows++;
    }
    return { rows, elapsedMs: performance.now() - start };
  }

  await client.ready(settings.modelName);
  await stream(settings.warmupMs, undefined);
  return {
    measure: measureWithLatencies(stream),
    close: () => client.close(),
  };
});
