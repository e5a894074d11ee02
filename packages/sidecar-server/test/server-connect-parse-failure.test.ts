import { connect } from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { ModelInferRequestSchema } from "@gpu-sidecar/sidecar-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sidecar } from "../src/index.js";
import { bytesOf, http, PACKAGE_MODELS, portOf, start } from "./server-harness.js";

const PATH = "/inference.GRPCInferenceService/ModelInfer";
const GARBAGE = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]);

interface Answer {
  readonly status: number;
  readonly body: { code?: string; message?: string };
}

/** A Connect-protocol unary call over HTTP/2 (the h2c port), as Connect's clients send it. */
function overHttp2(port: number, body: Uint8Array): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": PATH,
      "content-type": "application/proto",
    });
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      session.close();
      const text = Buffer.concat(chunks).toString();
      resolve({ status, body: status === 200 ? {} : JSON.parse(text) });
    });
    stream.end(body);
  });
}

async function overHttp1(port: number, body: Uint8Array): Promise<Answer> {
  const answer = await http(port, PATH, {
    body: Buffer.from(body),
    headers: { "content-type": "application/proto" },
  });
  return {
    status: answer.status,
    body: answer.status === 200 ? {} : (answer.json() as Answer["body"]),
  };
}

describe("a Connect-protocol request whose message is not protobuf", () => {
  let sidecar: Sidecar;
  beforeAll(async () => {
    sidecar = await start({ repository: PACKAGE_MODELS });
  });
  afterAll(() => sidecar?.close());

  const valid = toBinary(
    ModelInferRequestSchema,
    create(ModelInferRequestSchema, {
      modelName: "fraud-mock",
      inputs: [{ name: "FEATURES", datatype: "FP32", shape: [1n, 16n] }],
      rawInputContents: [bytesOf(new Float32Array(16))],
    }),
  );

  it.each([
    ["HTTP/1.1", (body: Uint8Array) => overHttp1(portOf(sidecar.addresses.http), body)],
    ["HTTP/2", (body: Uint8Array) => overHttp2(portOf(sidecar.addresses.grpc), body)],
  ])("over %s is the caller's mistake, 400 invalid_argument, not 500", async (_, call) => {
    const refused = await call(GARBAGE);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe("invalid_argument");
    expect(refused.body.message).toMatch(/^parse binary: /);
    // Other answers pass through as Connect wrote them: a valid call, and another error.
    expect((await call(valid)).status).toBe(200);
    const unknown = toBinary(
      ModelInferRequestSchema,
      create(ModelInferRequestSchema, { modelName: "no-such-model" }),
    );
    const notFound = await call(unknown);
    expect(notFound.status).toBe(404);
    expect(notFound.body.code).toBe("not_found");
  });
});
