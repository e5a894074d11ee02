import { ErrorCode, type ModelSignature, SidecarError } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it, vi } from "vitest";
import * as assembly from "../src/batching/batch-assembly.js";
import { createDynamicBatcher } from "../src/batching/dynamic-batcher.js";
import { InferenceRequest } from "../src/batching/inference-request.js";
import { FakeExecutor, rejectionOf, rowsTensor, valuesOf } from "./batching-fixtures.js";

vi.mock("../src/batching/batch-assembly.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../src/batching/batch-assembly.js")>();
  return { ...actual, assembleInputs: vi.fn(actual.assembleInputs) };
});

const signature: ModelSignature = {
  inputs: [{ name: "x", datatype: "FP32", shape: [-1, 2] }],
  outputs: [{ name: "y", datatype: "FP32", shape: [-1, 2] }],
};

function setup() {
  const executor = new FakeExecutor({ autoRespond: true });
  const batcher = createDynamicBatcher({ signature, config: { max_batch_size: 4 }, executor });
  return { executor, batcher };
}

describe("a failure while forming a batch", () => {
  it("rejects that batch's request with INTERNAL, and the batcher serves the next one", async () => {
    const { executor, batcher } = setup();
    vi.mocked(assembly.assembleInputs).mockImplementationOnce(() => {
      throw new TypeError("injected while forming the batch");
    });
    const error = await rejectionOf(batcher.submit({ inputs: [rowsTensor("x", 2, 2, 0)] }));
    expect(error).toBeInstanceOf(SidecarError);
    expect(error.code).toBe(ErrorCode.Internal);
    expect(error.message).toContain("injected while forming the batch");
    expect(executor.runs).toHaveLength(0);
    expect(batcher.pending).toBe(0);
    expect(batcher.queued).toBe(0);
    const outputs = await batcher.submit({ inputs: [rowsTensor("x", 2, 2, 10)] });
    expect(valuesOf(outputs[0])).toEqual([10, 10, 11, 11]);
    await batcher.close();
  });

  it("rejects the batch's requests when taking their chunks throws, and keeps pumping", async () => {
    const { executor, batcher } = setup();
    const takeChunk = vi.spyOn(InferenceRequest.prototype, "takeChunk");
    takeChunk.mockImplementationOnce(() => {
      throw new RangeError("injected while taking a chunk");
    });
    try {
      const error = await rejectionOf(batcher.submit({ inputs: [rowsTensor("x", 3, 2, 0)] }));
      expect(error.code).toBe(ErrorCode.Internal);
      expect(error.message).toContain("injected while taking a chunk");
      expect(batcher.queued).toBe(0);
      const outputs = await batcher.submit({ inputs: [rowsTensor("x", 1, 2, 7)] });
      expect(valuesOf(outputs[0])).toEqual([7, 7]);
      expect(executor.batchRows).toEqual([1]);
    } finally {
      takeChunk.mockRestore();
    }
    await batcher.close();
  });

  it("fails every chunk of an oversize request once, leaving nothing queued", async () => {
    const { executor, batcher } = setup();
    vi.mocked(assembly.assembleInputs).mockImplementationOnce(() => {
      throw new Error("injected in the first chunk");
    });
    const error = await rejectionOf(batcher.submit({ inputs: [rowsTensor("x", 9, 2, 0)] }));
    expect(error.code).toBe(ErrorCode.Internal);
    // The request left the queue when it failed, with every chunk of it.
    expect(batcher.pending).toBe(0);
    expect(batcher.queued).toBe(0);
    const outputs = await batcher.submit({ inputs: [rowsTensor("x", 5, 2, 1)] });
    expect(outputs[0]?.shape).toEqual([5, 2]);
    // Only the next request's two chunks ever ran: none of the failed one's, before or after.
    expect(executor.batchRows).toEqual([4, 1]);
    await batcher.close();
  });

  it("rejects a request whose buffer was detached after it was queued, instead of running it", async () => {
    const { executor, batcher } = setup();
    const input = rowsTensor("x", 2, 2, 0);
    const result = batcher.submit({ inputs: [input] });
    // Moved away in the same tick, before the batch forms: its tensor now reads as empty.
    const buffer = input.data.buffer as ArrayBuffer;
    structuredClone(buffer, { transfer: [buffer] });
    const error = await rejectionOf(result);
    expect(error.code).toBe(ErrorCode.Internal);
    expect(error.message).toMatch(/0 bytes of data, expected 16/);
    expect(executor.runs).toHaveLength(0);
    const outputs = await batcher.submit({ inputs: [rowsTensor("x", 1, 2, 3)] });
    expect(valuesOf(outputs[0])).toEqual([3, 3]);
    await batcher.close();
  });
});
