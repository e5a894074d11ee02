// The floor's server: a bare node:http2 h2c server on a Unix socket doing the least any gRPC
// server on node:http2 does for the sidecar's two inference methods, and nothing else. A unary
// ModelInfer gathers its body, checks the one envelope and gets a pre-encoded answer; a
// ModelStreamInfer stream gets one pre-encoded answer per request message. No protobuf
// decoding, no model, no batching: what it costs per call is node:http2's own cost, the part of
// the sidecar's CPU per call no code of ours can remove (the same run's sidecar is compared
// with it, see scenarios/grpc-floor.mjs).
import { createServer } from "node:http2";
import {
  createEnvelopeReader,
  decodeUnaryGrpcEnvelope,
  encodeGrpcMessage,
  encodeInferResponseEnvelope,
  encodeStreamInferResponseEnvelope,
  GRPCInferenceService,
} from "@gpu-sidecar/sidecar-core";

/**
 * @typedef {object} FloorServerSettings
 * @property {string} socketPath
 * @property {string} modelName Named in the answers, as the sidecar names the served model.
 * @property {string} outputName
 */

const SERVICE = `/${GRPCInferenceService.typeName}`;
const MODEL_INFER_PATH = `${SERVICE}/${GRPCInferenceService.method.modelInfer.name}`;
const MODEL_STREAM_INFER_PATH = `${SERVICE}/${GRPCInferenceService.method.modelStreamInfer.name}`;

/** The sidecar's hot path answers with these headers and trailers. */
const RESPONSE_HEADERS = { ":status": 200, "content-type": "application/grpc+proto" };
const OK_TRAILERS = { "grpc-status": "0" };
const GRPC_UNIMPLEMENTED = 12;

/** @type {FloorServerSettings} */
const settings = JSON.parse(/** @type {string} */ (process.argv[2]));

// The answers the sidecar gives for one record (version "1" of the model, one FP32 score),
// encoded once: the bytes on the wire are the sidecar's, their encoding is not the floor's cost.
/** @type {import("@gpu-sidecar/sidecar-core").InferResponseFields} */
const inferResponse = {
  modelName: settings.modelName,
  modelVersion: "1",
  outputs: [{ name: settings.outputName, datatype: "FP32", shape: [1n, 1n] }],
  rawOutputContents: [new Uint8Array(Float32Array.of(0.5).buffer)],
};
const UNARY_ANSWER = encodeInferResponseEnvelope(inferResponse);
// Stream answers echo the request's id, which the floor never reads: a typical one.
const STREAM_ANSWER = encodeStreamInferResponseEnvelope({
  inferResponse: { ...inferResponse, id: "1000" },
});

/** @param {import("node:http2").ServerHttp2Stream} stream */
function writable(stream) {
  return !stream.destroyed && !stream.closed;
}

/**
 * A trailers-only failure: the floor client counts it and fails the run, so a floor that
 * answered nothing can never pass for a cheap one.
 * @param {import("node:http2").ServerHttp2Stream} stream
 * @param {{ code: number, rawMessage: string }} error
 */
function fail(stream, error) {
  if (!writable(stream)) return;
  stream.respond(
    {
      ...RESPONSE_HEADERS,
      "grpc-status": String(error.code),
      "grpc-message": encodeGrpcMessage(error.rawMessage),
    },
    { endStream: true },
  );
}

/** @param {import("node:http2").ServerHttp2Stream} stream */
function answerUnary(stream) {
  /** @type {Buffer[]} */
  const chunks = [];
  stream.on("data", (/** @type {Buffer} */ chunk) => chunks.push(chunk));
  stream.once("end", () => {
    const body = chunks.length === 1 ? /** @type {Buffer} */ (chunks[0]) : Buffer.concat(chunks);
    const message = decodeUnaryGrpcEnvelope(body, "input");
    if (!(message instanceof Uint8Array)) {
      fail(stream, message);
      return;
    }
    if (!writable(stream)) return;
    stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers(OK_TRAILERS));
    stream.end(UNARY_ANSWER);
  });
}

/** @param {import("node:http2").ServerHttp2Stream} stream */
function answerStream(stream) {
  const reader = createEnvelopeReader();
  let responded = false;
  stream.on("data", (/** @type {Buffer} */ chunk) => {
    const messages = reader.push(chunk);
    if (!Array.isArray(messages)) {
      stream.close();
      return;
    }
    for (let i = 0; i < messages.length && writable(stream); i++) {
      if (!responded) {
        responded = true;
        stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers(OK_TRAILERS));
      }
      // The floor client keeps one message in flight, so answers cannot pile up unread.
      stream.write(STREAM_ANSWER);
    }
  });
  stream.once("end", () => {
    if (!writable(stream)) return;
    if (responded) stream.end();
    else stream.respond({ ...RESPONSE_HEADERS, ...OK_TRAILERS }, { endStream: true });
  });
}

const server = createServer();
server.on("stream", (stream, headers) => {
  // A reset stream ends in `close`; unheard, its error would end the process.
  stream.on("error", () => {});
  const path = headers[":path"];
  if (path === MODEL_INFER_PATH) answerUnary(stream);
  else if (path === MODEL_STREAM_INFER_PATH) answerStream(stream);
  else fail(stream, { code: GRPC_UNIMPLEMENTED, rawMessage: `the floor serves no ${path}` });
});
server.on("session", (session) => session.on("error", () => {}));
server.listen(settings.socketPath, () => process.send?.({ type: "listening" }));
// The parent ends the floor by disconnecting.
process.on("disconnect", () => {
  server.close();
  process.exit(0);
});
