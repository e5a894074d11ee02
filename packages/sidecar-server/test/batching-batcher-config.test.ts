import { ErrorCode, type ModelSignature } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it } from "vitest";
import {
  type DynamicBatcherConfig,
  resolveBatcherSettings,
} from "../src/batching/batcher-config.js";

const signature: ModelSignature = {
  inputs: [
    { name: "tokens", datatype: "INT32", shape: [-1, -1] },
    { name: "mask", datatype: "BOOL", shape: [-1, -1] },
  ],
  outputs: [
    { name: "logits", datatype: "FP32", shape: [-1, -1, 4] },
    { name: "label", datatype: "BYTES", shape: [-1, -1] },
  ],
};

function resolve(config: Partial<DynamicBatcherConfig>, model: ModelSignature = signature) {
  return resolveBatcherSettings(model, { max_batch_size: 8, ...config });
}

describe("batcher settings", () => {
  it("applies Triton-like defaults", () => {
    const settings = resolve({});
    expect(settings).toMatchObject({
      maxBatchSize: 8,
      maxQueueDelayMs: 0,
      maxQueueSize: 1024,
      maxQueueBytes: 256 * 1024 * 1024,
      priorityLevels: 1,
      defaultPriority: 1,
      defaultTimeoutUs: 0,
    });
    expect(settings.padding).toEqual([undefined, undefined]);
    expect(resolve({ priority_levels: 4 }).defaultPriority).toBe(3);
    expect(resolve({ max_queue_delay_us: 2_500 }).maxQueueDelayMs).toBe(2.5);
  });

  it("encodes the pad value once, in the input's datatype", () => {
    const settings = resolve({
      padding: {
        tokens: { axis: 1, value: -2, outputs: { logits: 1 } },
        mask: { axis: 1, max_length: 16 },
      },
    });
    expect(Array.from(settings.padding[0]?.element ?? [])).toEqual([0xfe, 0xff, 0xff, 0xff]);
    expect(Array.from(settings.padding[1]?.element ?? [])).toEqual([0]);
    expect(settings.padding[1]?.maxLength).toBe(16);
    expect(settings.unpadding.get("logits")).toEqual({ axis: 1, inputIndex: 0, elementSize: 4 });
  });

  it.each<[string, Partial<DynamicBatcherConfig>, RegExp]>([
    ["a negative max_batch_size", { max_batch_size: -1 }, /max_batch_size is -1/],
    ["a preferred size above the max", { preferred_batch_sizes: [9] }, /preferred batch size 9/],
    [
      "a default priority past the levels",
      { priority_levels: 2, default_priority: 3 },
      /default_priority 3/,
    ],
    ["a zero max_queue_size", { max_queue_size: 0 }, /max_queue_size is 0/],
    [
      "padding an unknown input",
      { padding: { nope: { axis: 1 } } },
      /input "nope", which the model lacks/,
    ],
    [
      "padding the batch axis",
      { padding: { tokens: { axis: 0 } } },
      /padding axis 0 of input "tokens"/,
    ],
    [
      "a pad value the datatype cannot hold",
      { padding: { tokens: { axis: 1, value: 0.5 } } },
      /padding of tokens/,
    ],
    [
      "un-padding a BYTES output",
      { padding: { tokens: { axis: 1, outputs: { label: 1 } } } },
      /output "label" is BYTES/,
    ],
    [
      "un-padding a fixed axis",
      { padding: { tokens: { axis: 1, outputs: { logits: 2 } } } },
      /axis 2 of output "logits" is 4 in the signature/,
    ],
    [
      "padding without batching",
      { max_batch_size: 0, padding: { tokens: { axis: 1 } } },
      /needs max_batch_size > 0/,
    ],
  ])("refuses %s", (_, config, message) => {
    expect(() => resolve(config)).toThrowError(message);
    try {
      resolve(config);
    } catch (error) {
      expect((error as { code: unknown }).code).toBe(ErrorCode.InvalidArgument);
    }
  });

  it("requires a -1 batch dimension when batching", () => {
    const fixed: ModelSignature = {
      inputs: [{ name: "x", datatype: "FP32", shape: [1, 2] }],
      outputs: [{ name: "y", datatype: "FP32", shape: [-1, 2] }],
    };
    expect(() => resolve({}, fixed)).toThrowError(/input "x" has shape \[1,2\]/);
    expect(resolve({ max_batch_size: 0 }, fixed).maxBatchSize).toBe(0);
  });
});
