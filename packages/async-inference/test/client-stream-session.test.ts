import { create } from "@bufbuild/protobuf";
import {
  decodeTensorValues,
  ErrorCode,
  LifecycleState,
  type ModelInferRequest,
  ModelInferResponseSchema,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it } from "vitest";
import { createSidecarClient, type SidecarClient } from "../src/client/sidecar-client.js";
import {
  createFakeSidecar,
  echoResponse,
  type FakeSidecar,
  fp32,
  MODEL,
  until,
} from "./client-fake-sidecar.js";
import { rejection } from "./rejection.js";

const LOCAL = "unix:///run/gpu-sidecar.sock";
const REMOTE = "http://10.0.0.2:8001";

let client: SidecarClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

function connect(fakes: Record<string, FakeSidecar>): SidecarClient {
  client = createSidecarClient({
    endpoints: Object.keys(fakes),
    createTransport: (address) => (fakes[address.url] ?? expect.unreachable()).transport,
    reconnect: { initialDelayMs: 10_000, maxDelayMs: 10_000 },
  });
  return client;
}

function firstValue(outputs: Tensor[]): number {
  const [first] = outputs;
  if (first === undefined) throw new Error("no output");
  return decodeTensorValues({ ...first, datatype: "FP32" })[0] ?? Number.NaN;
}

/** A fake that holds stream requests until the test answers them. */
function holdingFake(): FakeSidecar {
  const fake = createFakeSidecar();
  fake.streamAnswer = () => undefined;
  return fake;
}

function requestFor(fake: FakeSidecar, index: number): ModelInferRequest {
  return fake.streamRequests[index] ?? expect.unreachable();
}

describe("StreamSession", () => {
  it("multiplexes requests on one stream and matches answers by id, in any order", async () => {
    const fake = holdingFake();
    const session = connect({ [LOCAL]: fake }).createStreamSession(MODEL);
    const calls = [1, 2, 3].map((v) => session.infer([fp32("x", [1, 1], [v])]));
    await until(() => fake.streamRequests.length === 3);
    const ids = fake.streamRequests.map((r) => r.id);
    expect(new Set(ids).size).toBe(3);
    expect(fake.streamRequests.every((r) => r.modelName === MODEL)).toBe(true);
    for (const index of [2, 0, 1]) {
      fake.pushStreamResponse({ inferResponse: echoResponse(requestFor(fake, index)) });
    }
    expect((await Promise.all(calls)).map(firstValue)).toEqual([1, 2, 3]);
    expect(fake.streamsOpened).toBe(1);
  });

  it("fails only the request an error_message names; the stream goes on", async () => {
    const fake = holdingFake();
    const session = connect({ [LOCAL]: fake }).createStreamSession(MODEL);
    const first = session.infer([fp32("x", [1, 1], [1])]);
    const second = session.infer([fp32("x", [1, 1], [2])]);
    await until(() => fake.streamRequests.length === 2);
    fake.pushStreamResponse({
      errorMessage: "RESOURCE_EXHAUSTED: queue of model echo is full",
      inferResponse: create(ModelInferResponseSchema, { id: requestFor(fake, 0).id }),
    });
    fake.pushStreamResponse({ inferResponse: echoResponse(requestFor(fake, 1)) });
    const error = await rejection(first);
    expect(error.code).toBe(ErrorCode.ResourceExhausted);
    expect(error.message).toBe(
      `ModelStreamInfer on ${LOCAL}: RESOURCE_EXHAUSTED: queue of model echo is full`,
    );
    expect(firstValue(await second)).toBe(2);
    fake.streamAnswer = echoResponse;
    expect(firstValue(await session.infer([fp32("x", [1, 1], [3])]))).toBe(3);
    expect(fake.streamsOpened).toBe(1);
  });

  it("reads an error_message without a code prefix (Triton's) as INTERNAL", async () => {
    const fake = holdingFake();
    const session = connect({ [LOCAL]: fake }).createStreamSession(MODEL);
    const call = session.infer([fp32("x", [1, 1], [1])]);
    await until(() => fake.streamRequests.length === 1);
    fake.pushStreamResponse({
      errorMessage: "inference request batch-size must be <= 8",
      inferResponse: create(ModelInferResponseSchema, { id: requestFor(fake, 0).id }),
    });
    expect((await rejection(call)).code).toBe(ErrorCode.Internal);
  });

  it("fails every pending request on an error_message without an id, which names none", async () => {
    const fake = holdingFake();
    const session = connect({ [LOCAL]: fake }).createStreamSession(MODEL);
    const calls = [1, 2].map((v) => session.infer([fp32("x", [1, 1], [v])]));
    await until(() => fake.streamRequests.length === 2);
    fake.pushStreamResponse({ errorMessage: "INVALID_ARGUMENT: bad input" });
    for (const call of calls) expect((await rejection(call)).code).toBe(ErrorCode.InvalidArgument);
  });

  it("fails the pending requests when the stream breaks, then reconnects on the next call", async () => {
    const fake = holdingFake();
    const c = connect({ [LOCAL]: fake });
    const session = c.createStreamSession(MODEL);
    const pending = session.infer([fp32("x", [1, 1], [1])]);
    await until(() => fake.streamRequests.length === 1);
    fake.breakConnections();
    const error = await rejection(pending);
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.message).toContain(`ModelStreamInfer on ${LOCAL}`);
    fake.streamAnswer = echoResponse;
    expect(firstValue(await session.infer([fp32("x", [1, 1], [5])]))).toBe(5);
    expect(fake.streamsOpened).toBe(2);
  });

  it("opens the next stream on another endpoint when the first one is unavailable", async () => {
    const local = createFakeSidecar();
    const remote = createFakeSidecar();
    const session = connect({ [LOCAL]: local, [REMOTE]: remote }).createStreamSession(MODEL);
    local.down = true;
    expect((await rejection(session.infer([fp32("x", [1, 1], [1])]))).code).toBe(
      ErrorCode.Unavailable,
    );
    expect(firstValue(await session.infer([fp32("x", [1, 1], [2])]))).toBe(2);
    expect(remote.streamsOpened).toBe(1);
  });

  it("sends new requests to another endpoint once its own drains; the old stream still answers what it holds", async () => {
    const local = holdingFake();
    const remote = createFakeSidecar();
    const c = connect({ [LOCAL]: local, [REMOTE]: remote });
    await until(() => c.endpoints.every((e) => e.live));
    const session = c.createStreamSession(MODEL);
    const held = session.infer([fp32("x", [1, 1], [1])]);
    await until(() => local.streamRequests.length === 1);
    local.lifecycle.transition(LifecycleState.Draining);
    await until(() => c.endpoints[0]?.status === "not-serving");
    expect(firstValue(await session.infer([fp32("x", [1, 1], [2])]))).toBe(2);
    expect(remote.streamsOpened).toBe(1);
    expect(local.streamRequests).toHaveLength(1);
    local.pushStreamResponse({ inferResponse: echoResponse(requestFor(local, 0)) });
    expect(firstValue(await held)).toBe(1);
  });

  it("settles an aborted request at once and ignores its late answer", async () => {
    const fake = holdingFake();
    const session = connect({ [LOCAL]: fake }).createStreamSession(MODEL);
    const controller = new AbortController();
    const aborted = session.infer([fp32("x", [1, 1], [1])], { signal: controller.signal });
    const other = session.infer([fp32("x", [1, 1], [2])]);
    await until(() => fake.streamRequests.length === 2);
    controller.abort();
    expect((await rejection(aborted)).code).toBe(ErrorCode.Cancelled);
    fake.pushStreamResponse({ inferResponse: echoResponse(requestFor(fake, 0)) });
    fake.pushStreamResponse({ inferResponse: echoResponse(requestFor(fake, 1)) });
    expect(firstValue(await other)).toBe(2);
  });

  it("fails a request with DEADLINE_EXCEEDED after timeoutMs, and tells the server its timeout", async () => {
    const fake = holdingFake();
    const session = connect({ [LOCAL]: fake }).createStreamSession(MODEL);
    // Its handler goes on at once: on a loaded machine the 20 ms pass before the checks below.
    const failed = rejection(
      session.infer([fp32("x", [1, 1], [1])], { timeoutMs: 20, priority: 1 }),
    );
    await until(() => fake.streamRequests.length === 1);
    const { parameters } = requestFor(fake, 0);
    expect(parameters.timeout?.parameterChoice).toEqual({ case: "int64Param", value: 20_000n });
    expect(parameters.priority?.parameterChoice).toEqual({ case: "uint64Param", value: 1n });
    expect((await failed).code).toBe(ErrorCode.DeadlineExceeded);
  });

  it("close fails pending requests with CANCELLED and refuses new ones; client close closes sessions", async () => {
    const fake = holdingFake();
    const c = connect({ [LOCAL]: fake });
    const session = c.createStreamSession(MODEL);
    const pending = rejection(session.infer([fp32("x", [1, 1], [1])]));
    await until(() => fake.streamRequests.length === 1);
    const closing = session.close();
    expect(session.close()).toBe(closing);
    await closing;
    expect((await pending).code).toBe(ErrorCode.Cancelled);
    expect((await rejection(session.infer([fp32("x", [1, 1], [1])]))).code).toBe(
      ErrorCode.FailedPrecondition,
    );
    const other = c.createStreamSession(MODEL);
    const otherPending = other.infer([fp32("x", [1, 1], [1])]);
    await until(() => fake.streamRequests.length === 2);
    await c.close();
    expect((await rejection(otherPending)).code).toBe(ErrorCode.Cancelled);
  });

  it("rejects malformed inputs and bad options without sending anything", async () => {
    const fake = holdingFake();
    const session = connect({ [LOCAL]: fake }).createStreamSession(MODEL);
    const bad = { name: "x", datatype: "FP32" as const, shape: [2], data: new Uint8Array(4) };
    expect((await rejection(session.infer([bad]))).code).toBe(ErrorCode.InvalidArgument);
    expect(
      (await rejection(session.infer([fp32("x", [1], [1])], { timeoutMs: -5 }))).message,
    ).toContain("option timeoutMs is -5");
    expect(fake.streamsOpened).toBe(0);
  });
});
