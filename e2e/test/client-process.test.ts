import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ClientProtocol,
  createSidecarClient,
  type SidecarClient,
} from "@gpu-sidecar/async-inference";
import {
  decodeTensorValues,
  ErrorCode,
  encodeTensor,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import {
  type SpawnedSidecar,
  type SpawnedSidecarAddresses,
  spawnSidecar,
  stopAllSidecars,
} from "@gpu-sidecar/sidecar-server/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

/** Waits, polling, until `condition` holds (default 2 s). */
function until(condition: () => boolean, timeout = 2_000): Promise<boolean> {
  return vi.waitUntil(condition, { timeout, interval: 5 });
}

// The real gpu-sidecar process (mock and ONNX backends) behind the real client.
const dir = mkdtempSync(join(tmpdir(), "client-process-"));
let client: SidecarClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
});
afterAll(async () => {
  await stopAllSidecars(1_000);
  rmSync(dir, { recursive: true, force: true });
});

function connect(endpoints: string[], protocol: ClientProtocol = "grpc"): SidecarClient {
  client = createSidecarClient({
    endpoints,
    protocol,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  });
  return client;
}

/** `rows` rows of 16 features: row r holds r/10, r/10 + 0.01, … */
function features(rows: number): Tensor {
  const values = Array.from(
    { length: rows * 16 },
    (_, i) => Math.floor(i / 16) / 10 + (i % 16) / 100,
  );
  return encodeTensor({ name: "features", datatype: "FP32", shape: [rows, 16], values });
}

function scores(outputs: Tensor[]): number[] {
  const [score] = outputs;
  if (score === undefined) throw new Error("no output");
  expect(score.name).toBe("fraud_score");
  expect(score.datatype).toBe("FP32");
  return Array.from(decodeTensorValues({ ...score, datatype: "FP32" }));
}

/** What the mock backend computes: the sigmoid of each row's mean, in float32. */
function mockScores(input: Tensor): number[] {
  const values = decodeTensorValues({ ...input, datatype: "FP32" });
  const rows = input.shape[0] ?? 0;
  return Array.from({ length: rows }, (_, row) => {
    const mean = values.slice(row * 16, row * 16 + 16).reduce((a, b) => a + b, 0) / 16;
    return Math.fround(1 / (1 + Math.exp(-mean)));
  });
}

describe("the client against a running sidecar process", { timeout: 30_000 }, () => {
  // One sidecar for the tests that leave it as they found it; starting one takes a second.
  let shared: SpawnedSidecar;
  let sidecar: SpawnedSidecarAddresses;
  beforeAll(async () => {
    shared = spawnSidecar({ uds: join(dir, "shared.sock") });
    sidecar = await shared.serving;
  }, 30_000);
  afterAll(() => shared.stop());

  it.each<[string, ClientProtocol]>([
    ["unix", "grpc"],
    ["tcp", "grpc"],
    ["unix", "connect"],
    ["tcp", "connect"],
  ])("serves the mock model over %s with %s", async (where, protocol) => {
    const c = connect(
      [where === "unix" ? String(sidecar.unixUrl) : String(sidecar.grpcUrl)],
      protocol,
    );
    const input = features(3);
    const outputs = await c.infer("fraud-mock", [input], { priority: 1, timeoutMs: 5_000 });
    expect(outputs[0]?.shape).toEqual([3, 1]);
    const expected = mockScores(input);
    scores(outputs).forEach((score, i) => {
      expect(score).toBeCloseTo(expected[i] ?? Number.NaN, 6);
    });
    expect(await c.ready("fraud-mock")).toBe(true);
    await until(() => c.endpoints[0]?.status === "serving");
  });

  it("serves the ONNX model alike over the Unix socket, TCP, and a stream", async () => {
    const c = connect([String(sidecar.unixUrl)]);
    const metadata = await c.modelMetadata("fraud");
    expect(metadata.inputs).toEqual([{ name: "features", datatype: "FP32", shape: [-1, 16] }]);
    expect(metadata.outputs).toEqual([{ name: "fraud_score", datatype: "FP32", shape: [-1, 1] }]);
    const input = features(5);
    const overUnix = scores(await c.infer("fraud", [input]));
    expect(overUnix).toHaveLength(5);
    for (const score of overUnix) {
      expect(score).toBeGreaterThan(0);
      expect(score).toBeLessThan(1);
    }
    expect(new Set(overUnix).size).toBe(5);
    const tcp = createSidecarClient({ endpoint: String(sidecar.grpcUrl) });
    try {
      expect(scores(await tcp.infer("fraud", [input]))).toEqual(overUnix);
    } finally {
      await tcp.close();
    }
    const session = c.createStreamSession("fraud");
    const streamed = await Promise.all([session.infer([input]), session.infer([features(1)])]);
    expect(scores(streamed[0] ?? [])).toEqual(overUnix);
    expect(scores(streamed[1] ?? [])).toEqual(overUnix.slice(0, 1));
  });

  it("matches 2000 concurrent stream requests to their own answers while the sidecar batches them", async () => {
    const session = connect([String(sidecar.unixUrl)]).createStreamSession("fraud-mock");
    // Row i holds 16 × (i / 1000): each answer tells which request it belongs to.
    const inputs = Array.from({ length: 2_000 }, (_, i) =>
      encodeTensor({
        name: "features",
        datatype: "FP32",
        shape: [1, 16],
        values: new Array<number>(16).fill(i / 1_000),
      }),
    );
    const answers = await Promise.all(inputs.map((input) => session.infer([input])));
    answers.forEach((outputs, i) => {
      expect(scores(outputs)[0]).toBeCloseTo(
        mockScores(inputs[i] ?? expect.unreachable())[0] ?? Number.NaN,
        6,
      );
    });
  });

  it("fails only the bad request on a stream and keeps serving the others", async () => {
    const session = connect([String(sidecar.unixUrl)]).createStreamSession("fraud-mock");
    const wrongWidth = encodeTensor({
      name: "features",
      datatype: "FP32",
      shape: [1, 3],
      values: [1, 2, 3],
    });
    const [bad, good] = await Promise.allSettled([
      session.infer([wrongWidth]),
      session.infer([features(2)]),
    ]);
    expect(bad.status).toBe("rejected");
    expect(good.status).toBe("fulfilled");
    expect((bad as PromiseRejectedResult).reason).toMatchObject({
      message: expect.stringContaining("features"),
    });
  });

  it("reports an unknown model as NOT_FOUND and a bad shape as INVALID_ARGUMENT, without failing over", async () => {
    const c = connect([String(sidecar.unixUrl), String(sidecar.grpcUrl)]);
    await expect(c.infer("nope", [features(1)])).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    const wrong = encodeTensor({
      name: "features",
      datatype: "FP32",
      shape: [1, 2],
      values: [1, 2],
    });
    await expect(c.infer("fraud", [wrong])).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
    expect(c.endpoints.map((e) => e.status)).not.toContain("unreachable");
  });
});

describe("the client while sidecar processes die and restart", { timeout: 30_000 }, () => {
  afterEach(() => stopAllSidecars(1_000));

  it("fails over to the other sidecar when the local one is SIGKILLed mid-use", async () => {
    const local = spawnSidecar({ uds: join(dir, "local.sock") });
    const remote = spawnSidecar({ uds: join(dir, "remote.sock") });
    const [localAt, remoteAt] = await Promise.all([local.serving, remote.serving]);
    const c = connect([String(remoteAt.grpcUrl), String(localAt.unixUrl)]);
    await until(() => c.endpoints.every((e) => e.live), 5_000);
    const expected = mockScores(features(4));
    let stop = false;
    let completed = 0;
    const failures: unknown[] = [];
    // Four workers calling back to back, before, during and after the kill.
    const workers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          const outputs = await c.infer("fraud-mock", [features(4)], { timeoutMs: 5_000 });
          scores(outputs).forEach((score, i) => {
            expect(score).toBeCloseTo(expected[i] ?? Number.NaN, 6);
          });
          completed += 1;
        } catch (error) {
          failures.push(error);
        }
      }
    });
    await until(() => completed >= 20, 5_000);
    local.kill();
    await local.exited;
    const atKill = completed;
    await until(() => completed >= atKill + 40, 5_000);
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(c.endpoints[1]?.status).toBe("unreachable");
    expect(c.endpoints[0]?.live).toBe(true);
  });

  it("reconnects to a sidecar restarted on the same socket path", async () => {
    const socket = join(dir, "restarted.sock");
    const first = spawnSidecar({ uds: socket });
    const c = connect([String((await first.serving).unixUrl)]);
    await until(() => c.endpoints[0]?.status === "serving", 5_000);
    first.kill();
    await first.exited;
    await until(() => c.endpoints[0]?.status === "unreachable", 5_000);
    await expect(c.infer("fraud-mock", [features(1)])).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });
    await spawnSidecar({ uds: socket }).serving;
    await until(() => c.endpoints[0]?.status === "serving", 5_000);
    expect(scores(await c.infer("fraud-mock", [features(1)]))).toHaveLength(1);
  });
});
