// The floor's client: a bare node:http2 client driving the floor server with one call in
// flight, as the sidecar's one-record-in-flight contender drives the sidecar. Each call sends a
// real ModelInferRequest of one fraud row, encoded per call as the sidecar's client encodes it;
// answers are counted by their gRPC envelopes, never decoded. It is not the product's client
// (no operator, no failover, no error mapping): its CPU per call is the least a gRPC client on
// node:http2 spends, not what async-inference spends.
import { connect as connectHttp2 } from "node:http2";
import { connect as connectSocket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  createEnvelopeReader,
  encodeGrpcEnvelope,
  encodeTensor,
  GRPCInferenceService,
  ModelInferRequestSchema,
  tensorsToMessage,
} from "@gpu-sidecar/sidecar-core";
import { FRAUD_FEATURE_COUNT } from "@gpu-sidecar/sidecar-server/demo-model";
import { LatencyRecorder, measureWithLatencies } from "../latency-recorder.mjs";
import { serveMeasurement } from "../measured-process.mjs";
import { poolRow, transactionPool } from "../transaction-pool.mjs";

/**
 * @typedef {object} FloorClientSettings
 * @property {string} socketPath
 * @property {string} modelName
 * @property {string} inputName
 * @property {"unary" | "stream"} transport One ModelInfer (one HTTP/2 stream) per call, or
 *   every call as one message on one ModelStreamInfer stream.
 * @property {number | undefined} callsPerSecond Starts calls at this rate (still one in flight)
 *   instead of each as soon as the last is answered.
 * @property {number} warmupMs
 * @property {number} firstSeed
 */

const SERVICE = `/${GRPCInferenceService.typeName}`;
/** The sidecar client's request headers (async-inference's grpcRequestHeaders, no trace). */
const REQUEST_HEADERS = { "content-type": "application/grpc+proto", te: "trailers" };

await serveMeasurement(async (/** @type {FloorClientSettings} */ settings) => {
  const session = connectHttp2("http://localhost", {
    createConnection: () => connectSocket(settings.socketPath),
  });
  session.on("error", () => {});
  const pool = transactionPool(settings.firstSeed);
  const shape = [1, FRAUD_FEATURE_COUNT];
  let index = 0;

  /** The next record as one framed ModelInferRequest; stream requests carry an id, as the client's. */
  const nextRequest = () => {
    const { tensors, raw } = tensorsToMessage([
      encodeTensor({
        name: settings.inputName,
        datatype: "FP32",
        shape,
        values: poolRow(pool, index),
      }),
    ]);
    index++;
    const request = create(ModelInferRequestSchema, {
      modelName: settings.modelName,
      id: settings.transport === "stream" ? String(index) : "",
      inputs: tensors,
      rawInputContents: raw,
    });
    return encodeGrpcEnvelope(toBinary(ModelInferRequestSchema, request));
  };

  /**
   * One unary ModelInfer: resolves once the answer's trailers say OK and a message came.
   * @param {Uint8Array} body
   * @returns {Promise<void>}
   */
  const unaryCall = (body) =>
    new Promise((resolve, reject) => {
      const stream = session.request({
        ":method": "POST",
        ":path": `${SERVICE}/${GRPCInferenceService.method.modelInfer.name}`,
        ...REQUEST_HEADERS,
      });
      let received = 0;
      /** @type {unknown} */
      let status;
      stream.on("response", (headers) => {
        status = headers["grpc-status"];
      });
      stream.on("trailers", (trailers) => {
        status = trailers["grpc-status"];
      });
      stream.on("data", (/** @type {Buffer} */ chunk) => {
        received += chunk.byteLength;
      });
      stream.on("error", reject);
      stream.on("close", () => {
        if (status === "0" && received > 0) resolve();
        else reject(new Error(`floor ModelInfer: grpc-status ${status}, ${received} bytes`));
      });
      stream.end(body);
    });

  /** @type {((error?: Error) => void) | undefined} */
  let answered;
  /** @type {import("node:http2").ClientHttp2Stream | undefined} */
  let stream;
  if (settings.transport === "stream") {
    const reader = createEnvelopeReader();
    const open = session.request({
      ":method": "POST",
      ":path": `${SERVICE}/${GRPCInferenceService.method.modelStreamInfer.name}`,
      ...REQUEST_HEADERS,
    });
    open.on("data", (/** @type {Buffer} */ chunk) => {
      const messages = reader.push(chunk);
      if (!Array.isArray(messages)) answered?.(new Error(`floor ModelStreamInfer: ${messages}`));
      else if (messages.length > 0) answered?.();
    });
    const lost = () => answered?.(new Error("floor ModelStreamInfer: the stream ended"));
    open.on("error", lost);
    open.on("close", lost);
    stream = open;
  }

  /**
   * One message on the stream, resolved by the next answer.
   * @param {import("node:http2").ClientHttp2Stream} open
   * @param {Uint8Array} body
   * @returns {Promise<void>}
   */
  const streamCall = (open, body) =>
    new Promise((resolve, reject) => {
      answered = (error) => {
        answered = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      open.write(body);
    });

  // Calls are due on a fixed schedule, so a late timer makes the next wait shorter and the
  // rate holds on average; the time spent waiting is no call's latency.
  const intervalMs = settings.callsPerSecond === undefined ? 0 : 1000 / settings.callsPerSecond;

  /** @param {number} durationMs @param {LatencyRecorder | undefined} latencies */
  async function run(durationMs, latencies) {
    const start = performance.now();
    const end = start + durationMs;
    let calls = 0;
    let due = start;
    for (let now = start; now < end; now = performance.now()) {
      if (due > now) {
        await sleep(due - now);
        now = performance.now();
      }
      due += intervalMs;
      const body = nextRequest();
      await (stream === undefined ? unaryCall(body) : streamCall(stream, body));
      latencies?.record(performance.now() - now);
      calls++;
    }
    return { rows: calls, elapsedMs: performance.now() - start };
  }

  await run(settings.warmupMs, undefined);
  return {
    measure: measureWithLatencies(run),
    close: async () => {
      stream?.end();
      await new Promise((resolve) => session.close(() => resolve(undefined)));
    },
  };
});
