import { Writable } from "node:stream";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ErrorCode, GRPCInferenceService, SidecarError } from "@gpu-sidecar/sidecar-core";
import { type Level, pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sidecar } from "../src/index.js";
import { createRequestLog } from "../src/server/request-log.js";
import { FIXTURE_REPO, http, portOf, postJson, start } from "./server-harness.js";

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A pino logger at `level` whose lines land in `lines`. */
function capture(level: Level | "silent") {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split("\n")) {
        if (text !== "") lines.push(JSON.parse(text) as Line);
      }
      done();
    },
  });
  return { lines, logger: pino({ level }, sink) };
}

const INFO = 30;
const WARN = 40;
const ERROR = 50;

describe("createRequestLog", () => {
  it("logs each failure at the level of its code, with the model, the code and the reason", () => {
    const { lines, logger } = capture("info");
    const log = createRequestLog(logger);
    const context = { protocol: "rest", method: "POST /v2/models/m/infer", model: "m" } as const;
    log.failed(context, new SidecarError(ErrorCode.InvalidArgument, 'tensor "x": bad'));
    log.failed(context, new SidecarError(ErrorCode.ResourceExhausted, "queue full"));
    log.failed(context, new SidecarError(ErrorCode.Internal, "instance crashed"));
    expect(lines.map((line) => [line.level, line.code, line.model, line.reason])).toEqual([
      [INFO, "INVALID_ARGUMENT", "m", 'tensor "x": bad'],
      [WARN, "RESOURCE_EXHAUSTED", "m", "queue full"],
      [ERROR, "INTERNAL", "m", "instance crashed"],
    ]);
    expect(lines[0]?.msg).toBe('request failed: INVALID_ARGUMENT: tensor "x": bad');
  });

  it("rate-limits a flood per code and reports how many lines it held back", () => {
    const { lines, logger } = capture("info");
    let now = 0;
    const log = createRequestLog(logger, { burst: 3, windowMs: 1000, now: () => now });
    const context = { protocol: "grpc", method: "ModelInfer" } as const;
    for (let i = 0; i < 100; i++) {
      log.failed(context, new SidecarError(ErrorCode.InvalidArgument, `bad ${i}`));
    }
    log.failed(context, new SidecarError(ErrorCode.NotFound, "no model"));
    expect(lines.map((line) => line.reason)).toEqual(["bad 0", "bad 1", "bad 2", "no model"]);
    now = 1000;
    log.failed(context, new SidecarError(ErrorCode.InvalidArgument, "bad again"));
    expect(lines.slice(4).map((line) => [line.suppressed, line.reason])).toEqual([
      [97, undefined],
      [undefined, "bad again"],
    ]);
  });

  it("has an access log only at debug", () => {
    expect(createRequestLog(capture("info").logger).accessEnabled).toBe(false);
    const { lines, logger } = capture("debug");
    const log = createRequestLog(logger);
    expect(log.accessEnabled).toBe(true);
    log.access({ protocol: "grpc", method: "ModelInfer", model: "m", version: "1" }, "OK", 1.23456);
    expect(lines).toEqual([
      expect.objectContaining({ level: 20, msg: "request", model: "m", status: "OK", ms: 1.235 }),
    ]);
  });
});

describe("a sidecar's request log", () => {
  let sidecar: Sidecar;
  let port: number;
  const { lines, logger } = capture("debug");

  beforeAll(async () => {
    sidecar = await start({ repository: FIXTURE_REPO, logger });
    port = portOf(sidecar.addresses.http);
  });
  afterAll(() => sidecar?.close());

  it("logs a refused REST request with the model, code and reason, and every request at debug", async () => {
    const bad = await postJson(port, "/v2/models/twin/infer", {
      inputs: [{ name: "nope", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }],
    });
    expect(bad.status).toBe(400);
    const failure = lines.find((line) => line.msg.startsWith("request failed"));
    expect(failure).toMatchObject({
      level: INFO,
      protocol: "rest",
      method: "POST /v2/models/twin/infer",
      model: "twin",
      code: "INVALID_ARGUMENT",
      reason: expect.stringContaining('"nope"'),
    });
    expect((await http(port, "/v2/models/twin/ready")).status).toBe(200);
    await expect
      .poll(() => lines.filter((line) => line.msg === "request").map((line) => line.status))
      .toEqual([400, 200]);
  });

  it("logs a failed gRPC ModelInfer and ModelConfig the same way", async () => {
    const client = createClient(
      GRPCInferenceService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${portOf(sidecar.addresses.grpc)}` }),
    );
    await expect(
      client.modelInfer({
        modelName: "twin",
        inputs: [{ name: "x", datatype: "FP32", shape: [1n, 4n] }],
        rawInputContents: [new Uint8Array(3)],
      }),
    ).rejects.toThrow();
    await expect(client.modelConfig({ name: "missing" })).rejects.toThrow();
    const failures = lines.filter((line) => line.protocol === "grpc" && line.code !== undefined);
    expect(failures.map((line) => [line.method, line.model, line.code])).toEqual([
      ["ModelInfer", "twin", "INVALID_ARGUMENT"],
      ["ModelConfig", "missing", "NOT_FOUND"],
    ]);
  });
});
