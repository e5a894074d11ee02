import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  decodeTensorValues,
  ErrorCode,
  LifecycleState,
  ModelInferResponseSchema,
} from "@gpu-sidecar/sidecar-core";
import { afterEach, describe, expect, it } from "vitest";
import { createSidecarClient, type SidecarClient } from "../src/client/sidecar-client.js";
import { createFakeSidecar, type FakeSidecar, fp32, MODEL, until } from "./client-fake-sidecar.js";
import { rejection } from "./rejection.js";

let client: SidecarClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

function connect(fake: FakeSidecar): SidecarClient {
  client = createSidecarClient({
    endpoint: "unix:///run/fake.sock",
    createTransport: () => fake.transport,
  });
  return client;
}

describe("SidecarClient.infer", () => {
  it("sends tensors as raw_input_contents and reads raw_output_contents back", async () => {
    const fake = createFakeSidecar();
    const input = fp32("x", [2, 2], [1, 2, 3, 4]);
    const [output] = await connect(fake).infer(MODEL, [input]);
    const { request } = fake.inferCalls[0] ?? expect.unreachable();
    expect(request.modelName).toBe(MODEL);
    expect(request.inputs.map((i) => [i.name, i.datatype, i.shape])).toEqual([
      ["x", "FP32", [2n, 2n]],
    ]);
    expect(request.rawInputContents).toEqual([input.data]);
    expect(request.inputs[0]?.contents).toBeUndefined();
    expect(output?.name).toBe("y0");
    expect(output?.shape).toEqual([2, 2]);
    expect(
      Array.from(decodeTensorValues({ ...(output ?? expect.unreachable()), datatype: "FP32" })),
    ).toEqual([1, 2, 3, 4]);
  });

  it("sends priority as uint64, timeout in µs as int64, the requested outputs and the version", async () => {
    const fake = createFakeSidecar();
    await connect(fake).infer(MODEL, [fp32("x", [1, 1], [0])], {
      priority: 2,
      timeoutMs: 1500,
      outputs: ["y0"],
      version: "3",
    });
    const { request, context } = fake.inferCalls[0] ?? expect.unreachable();
    expect(request.parameters.priority?.parameterChoice).toEqual({
      case: "uint64Param",
      value: 2n,
    });
    const timeout = request.parameters.timeout?.parameterChoice;
    expect(timeout?.case).toBe("int64Param");
    // The time left when the attempt started, so at most the whole budget.
    expect(Number(timeout?.value)).toBeGreaterThan(1_400_000);
    expect(Number(timeout?.value)).toBeLessThanOrEqual(1_500_000);
    expect(request.outputs.map((o) => o.name)).toEqual(["y0"]);
    expect(request.modelVersion).toBe("3");
    // The same deadline travels as the gRPC deadline.
    expect(context.timeoutMs()).toBeGreaterThan(1_400);
    expect(context.timeoutMs()).toBeLessThanOrEqual(1_500);
  });

  it("sends neither priority nor timeout when not asked", async () => {
    const fake = createFakeSidecar();
    await connect(fake).infer(MODEL, [fp32("x", [1, 1], [0])]);
    const { request, context } = fake.inferCalls[0] ?? expect.unreachable();
    expect(request.parameters).toEqual({});
    expect(context.timeoutMs()).toBeUndefined();
  });

  it("reads outputs given in typed contents, as servers may answer", async () => {
    const fake = createFakeSidecar();
    fake.infer = () =>
      create(ModelInferResponseSchema, {
        modelName: MODEL,
        outputs: [
          {
            name: "score",
            datatype: "FP32",
            shape: [2n, 1n],
            contents: { fp32Contents: [0.5, 0.25] },
          },
          {
            name: "label",
            datatype: "BYTES",
            shape: [1n],
            contents: { bytesContents: [new TextEncoder().encode("ok")] },
          },
        ],
      });
    const [score, label] = await connect(fake).infer(MODEL, [fp32("x", [2, 1], [0, 0])]);
    expect(
      Array.from(decodeTensorValues({ ...(score ?? expect.unreachable()), datatype: "FP32" })),
    ).toEqual([0.5, 0.25]);
    expect(label?.shape).toEqual([1]);
    expect(
      new TextDecoder().decode(
        decodeTensorValues({ ...(label ?? expect.unreachable()), datatype: "BYTES" })[0],
      ),
    ).toBe("ok");
  });

  it("fails with INTERNAL on a response whose data does not fit its shape", async () => {
    const fake = createFakeSidecar();
    fake.infer = () =>
      create(ModelInferResponseSchema, {
        outputs: [{ name: "y", datatype: "FP32", shape: [2n, 2n] }],
        rawOutputContents: [new Uint8Array(12)],
      });
    const error = await rejection(connect(fake).infer(MODEL, [fp32("x", [1, 1], [0])]));
    expect(error.code).toBe(ErrorCode.Internal);
    expect(error.message).toContain("malformed response from unix:///run/fake.sock");
    expect(error.message).toContain('"y"');
  });

  it("fails with INTERNAL on an unknown datatype or a raw/outputs count mismatch", async () => {
    const fake = createFakeSidecar();
    const c = connect(fake);
    fake.infer = () =>
      create(ModelInferResponseSchema, {
        outputs: [{ name: "y", datatype: "FP128", shape: [1n] }],
      });
    expect((await rejection(c.infer(MODEL, [fp32("x", [1, 1], [0])]))).message).toContain(
      '"FP128"',
    );
    fake.infer = () =>
      create(ModelInferResponseSchema, {
        outputs: [{ name: "y", datatype: "FP32", shape: [1n] }],
        rawOutputContents: [new Uint8Array(4), new Uint8Array(4)],
      });
    const error = await rejection(c.infer(MODEL, [fp32("x", [1, 1], [0])]));
    expect(error.code).toBe(ErrorCode.Internal);
    expect(error.message).toContain("2 raw_output_contents for 1 outputs");
  });

  it("rejects a malformed input with INVALID_ARGUMENT before any call", async () => {
    const fake = createFakeSidecar();
    const bad = { name: "x", datatype: "FP32" as const, shape: [2, 2], data: new Uint8Array(12) };
    const error = await rejection(connect(fake).infer(MODEL, [bad]));
    expect(error.code).toBe(ErrorCode.InvalidArgument);
    expect(error.message).toContain('tensor "x"');
    expect(fake.inferCalls).toHaveLength(0);
  });

  it.each([
    [{ timeoutMs: 0 }, "option timeoutMs is 0, expected a positive number of milliseconds"],
    [{ timeoutMs: Number.NaN }, "option timeoutMs is NaN"],
    [{ priority: -1 }, "option priority is -1, expected an integer ≥ 0"],
    [{ priority: 1.5 }, "option priority is 1.5"],
    [{ outputs: [""] }, 'option outputs is "", expected output tensor names'],
  ])("rejects bad options %j naming the option and value", async (options, message) => {
    const fake = createFakeSidecar();
    const error = await rejection(connect(fake).infer(MODEL, [fp32("x", [1, 1], [0])], options));
    expect(error.code).toBe(ErrorCode.InvalidArgument);
    expect(error.message).toContain(message);
    expect(fake.inferCalls).toHaveLength(0);
  });

  it("maps the server's status to the package error code", async () => {
    const fake = createFakeSidecar();
    const c = connect(fake);
    fake.infer = () => {
      throw new ConnectError("queue full", Code.ResourceExhausted);
    };
    const error = await rejection(c.infer(MODEL, [fp32("x", [1, 1], [0])]));
    expect(error.code).toBe(ErrorCode.ResourceExhausted);
    expect(error.message).toBe(
      "ModelInfer on unix:///run/fake.sock: [ResourceExhausted] queue full",
    );
    expect(error.cause).toBeInstanceOf(ConnectError);
  });

  it("cancels the RPC when the signal aborts, so the server sees the cancellation", async () => {
    const fake = createFakeSidecar();
    fake.infer = (_request, context) =>
      new Promise((_resolve, reject) => {
        context.signal.addEventListener("abort", () => reject(context.signal.reason));
      });
    const controller = new AbortController();
    const call = connect(fake).infer(MODEL, [fp32("x", [1, 1], [0])], {
      signal: controller.signal,
    });
    await until(() => fake.inferCalls.length === 1);
    const serverSignal = fake.inferCalls[0]?.context.signal ?? expect.unreachable();
    expect(serverSignal.aborted).toBe(false);
    controller.abort();
    const error = await rejection(call);
    expect(error.code).toBe(ErrorCode.Cancelled);
    await until(() => serverSignal.aborted);
  });

  it("fails with DEADLINE_EXCEEDED when the server does not answer in time", async () => {
    const fake = createFakeSidecar();
    fake.infer = () => new Promise(() => {});
    const error = await rejection(
      connect(fake).infer(MODEL, [fp32("x", [1, 1], [0])], { timeoutMs: 30 }),
    );
    expect(error.code).toBe(ErrorCode.DeadlineExceeded);
  });

  it("rejects an already aborted signal without calling", async () => {
    const fake = createFakeSidecar();
    const error = await rejection(
      connect(fake).infer(MODEL, [fp32("x", [1, 1], [0])], { signal: AbortSignal.abort() }),
    );
    expect(error.code).toBe(ErrorCode.Cancelled);
    expect(fake.inferCalls).toHaveLength(0);
  });
});

describe("SidecarClient metadata and health calls", () => {
  it("reads model metadata with numbers and checked datatypes", async () => {
    const fake = createFakeSidecar();
    expect(await connect(fake).modelMetadata(MODEL)).toEqual({
      name: MODEL,
      versions: ["1"],
      platform: "fake",
      inputs: [{ name: "x", datatype: "FP32", shape: [-1, 4] }],
      outputs: [{ name: "y0", datatype: "FP32", shape: [-1, 4] }],
    });
  });

  it("fails with NOT_FOUND for an unknown model", async () => {
    const fake = createFakeSidecar();
    expect((await rejection(connect(fake).modelMetadata("nope"))).code).toBe(ErrorCode.NotFound);
  });

  it("answers live and ready from the server", async () => {
    const fake = createFakeSidecar({ starting: true });
    const c = connect(fake);
    expect(await c.live()).toBe(true);
    expect(await c.ready()).toBe(false);
    expect(await c.ready(MODEL)).toBe(false);
    fake.lifecycle.transition(LifecycleState.Serving);
    expect(await c.ready()).toBe(true);
    expect(await c.ready(MODEL)).toBe(true);
  });
});
