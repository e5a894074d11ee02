// A seeded fuzz test of bad input against one real sidecar process (the bundled ONNX model on
// onnxruntime and the mock backend): malformed KServe v2 requests over REST and raw gRPC on
// HTTP/2, sent concurrently with valid ones, so that they share batches. Every answer must be a
// client error (or 503), never a server error; nothing may hang; every valid answer must equal,
// row by row, the reference answer taken at the start; afterwards every model still answers
// and the process is ready. FUZZ_SEED=<seed> replays a run (the seed is printed);
// FUZZ_RUNS and FUZZ_TIME_MS bound it (runs left when the time is up are skipped).
import { randomInt } from "node:crypto";
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { gzipSync } from "node:zlib";
import { fromBinary } from "@bufbuild/protobuf";
import {
  buildBinaryExtensionBody,
  createEnvelopeReader,
  decodeGrpcMessage,
  decodeTensorValues,
  ModelInferResponseSchema,
  ModelStreamInferResponseSchema,
  parseBinaryExtensionBody,
  type Tensor,
  tensorsOfMessage,
} from "@gpu-sidecar/sidecar-core";
import {
  type SpawnedSidecar,
  type SpawnedSidecarAddresses,
  spawnSidecar,
} from "@gpu-sidecar/sidecar-server/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Call,
  FEATURES,
  MAX_REQUEST_BYTES,
  type MessageMutation,
  MODELS,
  type Model,
  ROWS,
  runOfCalls,
  SERVICE,
  type ValidCall,
} from "./bad-input-calls.js";
import {
  type Expectation,
  envelope,
  firstRows,
  grpcRequestOf,
  gzipEnvelope,
  type InferRequestInit,
  inferPath,
  messageBytes,
  messageInit,
  mutatedMessage,
  type RestRequest,
  rawOf,
  restJson,
  restRequestOf,
  valuesOf,
} from "./bad-input-requests.js";

const SEED =
  process.env.FUZZ_SEED === undefined ? randomInt(2 ** 31 - 1) : Number(process.env.FUZZ_SEED);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const TIME_BUDGET_MS = Number(process.env.FUZZ_TIME_MS ?? 20_000);
/** How long one request may take before it counts as hung: far above any answer under load. */
const HANG_MS = 15_000;
/** gRPC codes a client's mistake must never get: they say the server failed. */
const SERVER_FAULT_CODES = new Set([2 /* UNKNOWN */, 13 /* INTERNAL */, 15 /* DATA_LOSS */]);
const INTERNAL = 13;

/**
 * A row's score may differ in the last bits with the batch it ran in (onnxruntime may pick
 * another kernel for another batch size); a row mixed up with another differs by far more.
 */
const TOLERANCE = 1e-6;

// ---------------------------------------------------------------------------------------------
// Sending requests and checking their answers.

let sidecar: SpawnedSidecar;
let addresses: SpawnedSidecarAddresses;
let session: ClientHttp2Session;
/** What happened to the gRPC connection: a malformed call must never close it. */
const sessionTrouble: string[] = [];
const reference = new Map<Model, readonly number[]>();

function scoresDiffer(
  model: Model,
  rows: readonly number[],
  scores: ArrayLike<number>,
): string | undefined {
  const expected = reference.get(model) ?? [];
  if (scores.length !== rows.length) return `${scores.length} scores for ${rows.length} rows`;
  for (let i = 0; i < rows.length; i++) {
    const want = expected[rows[i] ?? -1] ?? Number.NaN;
    const got = scores[i] ?? Number.NaN;
    if (!(Math.abs(got - want) <= TOLERANCE))
      return `row ${i} (reference row ${rows[i]}) scored ${got}, expected ${want}`;
  }
  return undefined;
}

function scoresOfTensor(tensor: Tensor | undefined, rows: number): ArrayLike<number> {
  if (tensor === undefined) throw new Error("the answer has no output tensor");
  expect(tensor.name).toBe("fraud_score");
  expect(tensor.datatype).toBe("FP32");
  expect(tensor.shape).toEqual([rows, 1]);
  return decodeTensorValues({ ...tensor, datatype: "FP32" });
}

interface RestAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

async function sendRest(request: RestRequest): Promise<RestAnswer> {
  let response: Response;
  try {
    response = await fetch(`${addresses.httpUrl}${request.path}`, {
      method: request.method ?? "POST",
      headers: { "content-type": "application/json", ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: AbortSignal.timeout(HANG_MS),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: new Uint8Array(await response.arrayBuffer()),
    };
  } catch (error) {
    const reason =
      error instanceof Error && error.name === "TimeoutError"
        ? `no answer within ${HANG_MS} ms (a hang)`
        : String(error);
    throw new Error(`REST ${request.method ?? "POST"} ${request.path.slice(0, 200)}: ${reason}`);
  }
}

function restScores(answer: RestAnswer, rows: number): ArrayLike<number> {
  const headerLength = answer.headers.get("inference-header-content-length");
  if (headerLength !== null) {
    const parsed = parseBinaryExtensionBody(answer.body, Number(headerLength));
    const output = (parsed.header.outputs as { shape: number[] }[] | undefined)?.[0];
    expect(output?.shape).toEqual([rows, 1]);
    const data = parsed.outputData[0];
    if (data === undefined) throw new Error("the binary answer has no output data");
    return scoresOfTensor(
      { name: "fraud_score", datatype: "FP32", shape: output?.shape ?? [], data },
      rows,
    );
  }
  const json = JSON.parse(new TextDecoder().decode(answer.body)) as {
    outputs?: { name: string; datatype: string; shape: number[]; data: number[] }[];
  };
  const output = json.outputs?.[0];
  expect(output?.name).toBe("fraud_score");
  expect(output?.shape).toEqual([rows, 1]);
  return output?.data ?? [];
}

/** An answered call: it must not have been refused, and its scores must be the reference's. */
function checkAnswer(
  expectation: Expectation,
  scoresOf: (rows: number) => ArrayLike<number>,
): void {
  if (expectation.answer === "refused") throw new Error("answered, expected a refusal");
  const differs = scoresDiffer(
    expectation.model,
    expectation.rows,
    scoresOf(expectation.rows.length),
  );
  if (differs !== undefined) throw new Error(`wrong answer: ${differs}`);
}

function checkRest(answer: RestAnswer, expectation: Expectation): void {
  const { status } = answer;
  const whole = () => new TextDecoder().decode(answer.body);
  const text = () => whole().slice(0, 300);
  if (status >= 500 && status !== 503) throw new Error(`HTTP ${status}: ${text()}`);
  if (status === 200) {
    checkAnswer(expectation, (rows) => restScores(answer, rows));
    return;
  }
  if (expectation.answer === "valid")
    throw new Error(`HTTP ${status}, expected an answer: ${text()}`);
  if (status < 400) throw new Error(`HTTP ${status}, expected a refusal`);
  // Node's HTTP parser answers an oversized header (431) itself, with no body.
  if (status !== 431 && status !== 503) {
    let message: unknown;
    try {
      message = (JSON.parse(whole()) as { error?: unknown }).error;
    } catch {
      message = undefined;
    }
    if (typeof message !== "string" || message === "") {
      throw new Error(`HTTP ${status} without a JSON error message: ${text()}`);
    }
  }
}

interface GrpcAnswer {
  readonly httpStatus: number;
  readonly grpcStatus: number | undefined;
  readonly message: string;
  readonly body: Uint8Array;
  readonly rstCode: number;
}

function sendGrpc(
  path: string,
  body: Uint8Array,
  headers: Readonly<Record<string, string>> = {},
): Promise<GrpcAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    let head: IncomingHttpHeaders | undefined;
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`gRPC ${path.slice(0, 200)}: no answer within ${HANG_MS} ms (a hang)`));
    }, HANG_MS);
    stream.on("response", (received) => {
      head = received;
    });
    stream.on("trailers", (received) => {
      trailers = received;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    // A reset shows in `rstCode` on close; the answer may have been complete before it.
    stream.on("error", () => {});
    stream.on("close", () => {
      clearTimeout(timer);
      const status = trailers?.["grpc-status"] ?? head?.["grpc-status"];
      const message = trailers?.["grpc-message"] ?? head?.["grpc-message"];
      resolve({
        httpStatus: Number(head?.[":status"] ?? 0),
        grpcStatus: status === undefined ? undefined : Number(status),
        message: typeof message === "string" ? decodeGrpcMessage(message) : "",
        body: Buffer.concat(chunks),
        rstCode: stream.rstCode ?? 0,
      });
    });
    stream.end(body);
  });
}

function messagesOf(answer: GrpcAnswer): Uint8Array[] {
  const messages = createEnvelopeReader().push(answer.body);
  if (!Array.isArray(messages))
    throw new Error(`the answer's messages do not parse: ${messages.message}`);
  return messages;
}

function grpcScores(message: Uint8Array, rows: number): ArrayLike<number> {
  const response = fromBinary(ModelInferResponseSchema, message);
  const [tensor] = tensorsOfMessage(
    response.outputs,
    response.rawOutputContents,
    "raw_output_contents",
  );
  return scoresOfTensor(tensor, rows);
}

interface AllowedFaults {
  /** A compressed message without `grpc-encoding`: INTERNAL, as grpc-go, grpc-java and Connect answer it. */
  readonly internal?: boolean | undefined;
}

/** Checks a unary gRPC answer. */
function checkGrpc(
  answer: GrpcAnswer,
  expectation: Expectation,
  allowed: AllowedFaults = {},
): void {
  const allowInternal = allowed.internal === true;
  const { httpStatus, grpcStatus, message } = answer;
  if (httpStatus !== 200) {
    // Not gRPC at all (a content type the server does not speak): an HTTP client error.
    if ((httpStatus >= 400 && httpStatus < 500) || httpStatus === 503) {
      if (expectation.answer === "valid") throw new Error(`HTTP ${httpStatus}, expected an answer`);
      return;
    }
    throw new Error(`HTTP ${httpStatus} (stream reset with ${answer.rstCode})`);
  }
  if (grpcStatus === undefined)
    throw new Error(`no grpc-status (stream reset with ${answer.rstCode})`);
  if (grpcStatus === 0) {
    checkAnswer(expectation, (rows) => {
      const [first] = messagesOf(answer);
      if (first === undefined) throw new Error("OK without a message");
      return grpcScores(first, rows);
    });
    return;
  }
  if (expectation.answer === "valid")
    throw new Error(`gRPC status ${grpcStatus} (${message}), expected an answer`);
  if (SERVER_FAULT_CODES.has(grpcStatus) && !(allowInternal && grpcStatus === INTERNAL)) {
    throw new Error(`gRPC status ${grpcStatus} (${message}) for a client's mistake`);
  }
  if (message === "") throw new Error(`gRPC status ${grpcStatus} without a message`);
}

/**
 * A stream of requests answers each one on its own, by id; a failed one says why. Malformed
 * bytes after them (`tail`) or a deadline (`timeout`) may end the stream with an error, never a
 * server fault, and may leave requests unanswered; every answer given must still be right.
 */
async function performStream(
  model: Model,
  parts: readonly ({ readonly rows: readonly number[] } | { readonly mutation: MessageMutation })[],
  tail: Uint8Array = new Uint8Array(),
  timeout: string | null = null,
): Promise<void> {
  const expected = parts.map((part) =>
    "rows" in part
      ? { init: messageInit(model, part.rows), valid: true, refused: false, rows: part.rows }
      : { ...mutatedMessage(model, 4, part.mutation), valid: false, rows: firstRows(4) },
  );
  const envelopes = expected.map(({ init }, index) => envelope({ ...init, id: String(index) }));
  const body = new Uint8Array(
    envelopes.reduce((sum, one) => sum + one.byteLength, 0) + tail.byteLength,
  );
  let offset = 0;
  for (const one of [...envelopes, tail]) {
    body.set(one, offset);
    offset += one.byteLength;
  }
  const answer = await sendGrpc(
    `${SERVICE}ModelStreamInfer`,
    body,
    timeout === null ? {} : { "grpc-timeout": timeout },
  );
  const broken = tail.byteLength > 0 || timeout !== null;
  if (answer.httpStatus !== 200 || answer.grpcStatus === undefined) {
    throw new Error(`HTTP ${answer.httpStatus}, no grpc-status (reset with ${answer.rstCode})`);
  }
  if (answer.grpcStatus !== 0) {
    if (!broken)
      throw new Error(`gRPC status ${answer.grpcStatus} (${answer.message}), expected OK`);
    if (SERVER_FAULT_CODES.has(answer.grpcStatus)) {
      throw new Error(
        `gRPC status ${answer.grpcStatus} (${answer.message}) for a client's mistake`,
      );
    }
  }
  const responses = messagesOf(answer).map((message) =>
    fromBinary(ModelStreamInferResponseSchema, message),
  );
  if (!broken && responses.length !== parts.length)
    throw new Error(`${responses.length} responses to ${parts.length} requests`);
  const seen = new Set<string>();
  for (const response of responses) {
    if (/^(UNKNOWN|INTERNAL|DATA_LOSS)\b/.test(response.errorMessage)) {
      throw new Error(`a streamed request failed with ${response.errorMessage.slice(0, 300)}`);
    }
    const id = response.inferResponse?.id ?? "";
    const part = /^\d+$/.test(id) ? expected[Number(id)] : undefined;
    // The garbage tail may parse as a request of its own; it can only have failed.
    if (part === undefined && broken && response.errorMessage !== "") continue;
    if (part === undefined || seen.has(id)) throw new Error(`an answer with id "${id}"`);
    seen.add(id);
    if (response.errorMessage !== "") {
      const late =
        timeout !== null && /^(DEADLINE_EXCEEDED|CANCELLED)\b/.test(response.errorMessage);
      if (part.valid && !late)
        throw new Error(`valid request ${id} failed: ${response.errorMessage.slice(0, 300)}`);
      continue;
    }
    if (part.refused) throw new Error(`request ${id} answered, expected a refusal`);
    const outputs = response.inferResponse?.outputs ?? [];
    const [tensor] = tensorsOfMessage(
      outputs,
      response.inferResponse?.rawOutputContents ?? [],
      "raw_output_contents",
    );
    const differs = scoresDiffer(model, part.rows, scoresOfTensor(tensor, part.rows.length));
    if (differs !== undefined) throw new Error(`request ${id}: wrong answer: ${differs}`);
  }
}

async function performValid(call: ValidCall): Promise<void> {
  const expectation: Expectation = { answer: "valid", model: call.model, rows: call.rows };
  switch (call.via) {
    case "rest-json":
      return checkRest(
        await sendRest({ path: inferPath(call.model), body: restJson(call.rows) }),
        expectation,
      );
    case "rest-binary": {
      const raw = rawOf(call.rows);
      const header = {
        inputs: [
          {
            name: "features",
            datatype: "FP32",
            shape: [call.rows.length, FEATURES],
            parameters: { binary_data_size: raw.byteLength },
          },
        ],
        outputs: [{ name: "fraud_score", parameters: { binary_data: true } }],
      };
      const { body, headerLength } = buildBinaryExtensionBody(header, [raw]);
      const headers = {
        "content-type": "application/octet-stream",
        "inference-header-content-length": String(headerLength),
      };
      return checkRest(await sendRest({ path: inferPath(call.model), headers, body }), expectation);
    }
    case "rest-gzip": {
      const body = gzipSync(restJson(call.rows));
      return checkRest(
        await sendRest({
          path: inferPath(call.model),
          headers: { "content-encoding": "gzip" },
          body,
        }),
        expectation,
      );
    }
    case "grpc-raw":
      return checkGrpc(
        await sendGrpc(`${SERVICE}ModelInfer`, envelope(messageInit(call.model, call.rows))),
        expectation,
      );
    case "grpc-typed": {
      const init: InferRequestInit = {
        modelName: call.model,
        inputs: [
          {
            name: "features",
            datatype: "FP32",
            shape: [BigInt(call.rows.length), BigInt(FEATURES)],
            contents: { fp32Contents: valuesOf(call.rows) },
          },
        ],
      };
      return checkGrpc(await sendGrpc(`${SERVICE}ModelInfer`, envelope(init)), expectation);
    }
    case "grpc-gzip": {
      const body = gzipEnvelope(messageBytes(messageInit(call.model, call.rows)));
      return checkGrpc(
        await sendGrpc(`${SERVICE}ModelInfer`, body, { "grpc-encoding": "gzip" }),
        expectation,
      );
    }
    case "grpc-stream":
      return performStream(call.model, [{ rows: call.rows }]);
  }
}

/** Sends one call and checks its answer. */
async function performCall(call: Call): Promise<void> {
  if (call.kind === "valid") return performValid(call);
  if (call.kind === "rest") {
    const { request, expectation } = restRequestOf(call);
    return checkRest(await sendRest(request), expectation);
  }
  if (call.case === "stream") {
    return performStream(call.model, call.parts, call.tail, call.timeout);
  }
  const { path, headers, body, expectation, allowInternal } = grpcRequestOf(call);
  return checkGrpc(await sendGrpc(path, body, headers), expectation, {
    internal: allowInternal,
  });
}

/** Sends one call and checks its answer; an error names the call. */
async function perform(call: Call): Promise<void> {
  try {
    await performCall(call);
  } catch (error) {
    const what = JSON.stringify(call, (_, value: unknown) =>
      typeof value === "bigint"
        ? `${value}n`
        : value instanceof Uint8Array
          ? Array.from(value)
          : value,
    ).slice(0, 300);
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The run.

function connectGrpc(url: string): ClientHttp2Session {
  const connected = http2.connect(url);
  connected.on("goaway", (code, lastStreamId) => {
    sessionTrouble.push(`GOAWAY ${code} after stream ${lastStreamId}`);
  });
  connected.on("error", (error) => sessionTrouble.push(`session error: ${error.message}`));
  return connected;
}

/** Error-level log lines other than those of the INTERNAL answers the fuzz allows. */
function serverFaultLogs(): string[] {
  return sidecar.logs
    .filter((record) => (record.level ?? 0) >= 50)
    .filter((record) => {
      if (record.code !== "INTERNAL") return true;
      // The compressed message without `grpc-encoding`, and the count of those not logged.
      return !(
        typeof record.suppressed === "number" ||
        String(record.reason).includes("compressed envelope")
      );
    })
    .map((record) => JSON.stringify(record).slice(0, 500));
}

describe("malformed requests among valid ones (seeded fuzz)", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    sidecar = spawnSidecar({
      env: { ...process.env, GPU_SIDECAR_MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES) },
    });
    addresses = await sidecar.serving;
    session = connectGrpc(String(addresses.grpcUrl));
    // The reference: each model's answer to the eight rows in one request.
    for (const name of MODELS) {
      const answer = await sendRest({
        path: inferPath(name),
        body: restJson(firstRows(ROWS.length)),
      });
      expect(answer.status).toBe(200);
      const scores = Array.from(restScores(answer, ROWS.length));
      // Distinct scores, so that an answer for the wrong row cannot pass.
      for (const [i, score] of scores.entries()) {
        for (const other of scores.slice(i + 1))
          expect(Math.abs(score - other)).toBeGreaterThan(1e-4);
      }
      reference.set(name, scores);
    }
  }, 60_000);

  afterAll(async () => {
    session?.close();
    await sidecar?.stop();
  }, 30_000);

  it("answers every malformed request with a client error and every valid one correctly", async () => {
    const startedAt = performance.now();
    let runs = 0;
    let calls = 0;
    const details = await fc.check(
      fc.asyncProperty(runOfCalls, async (run) => {
        // Past the budget the remaining runs are skipped, not cut off mid-way.
        if (performance.now() - startedAt > TIME_BUDGET_MS) return;
        runs++;
        calls += run.length;
        await Promise.all(run.map(perform));
        expect(sessionTrouble, "the gRPC connection").toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    const ms = Math.round(performance.now() - startedAt);
    console.log(
      `bad-input fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays it), ${runs} runs, ${calls} requests, ${ms} ms`,
    );
    if (details.failed) {
      const died = sidecar.running ? "" : `\nThe sidecar died:\n${sidecar.recentOutput()}`;
      throw new Error(
        `${String(details.errorInstance)}\n${fc.defaultReportMessage(details)}${died}`,
      );
    }
    expect(runs).toBeGreaterThan(0);
    expect(serverFaultLogs()).toEqual([]);
  });

  it("leaves every model answering correctly over both protocols, ready, and the process alive", async () => {
    // A fresh connection: the fuzz's one may have been the casualty.
    session.close();
    session = connectGrpc(String(addresses.grpcUrl));
    const rows = [7, 0, 3, 3, 1, 6, 2, 5, 4];
    for (const model of MODELS) {
      for (const via of ["rest-json", "grpc-raw", "grpc-gzip"] as const) {
        await perform({ kind: "valid", via, model, rows });
      }
      await perform({ kind: "valid", via: "grpc-stream", model, rows: firstRows(70) });
      const ready = await sendRest({ path: `/v2/models/${model}/ready`, method: "GET" });
      expect(ready.status).toBe(200);
    }
    expect((await sendRest({ path: "/v2/health/ready", method: "GET" })).status).toBe(200);
    expect(sidecar.running, sidecar.recentOutput()).toBe(true);
  });
});
