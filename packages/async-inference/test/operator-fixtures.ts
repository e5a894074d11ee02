import type { Tensor } from "@gpu-sidecar/sidecar-core";
import { vi } from "vitest";
import type { InferContext, InferFunction } from "../src/operator/async-inference-options.js";

/** One FP64 row per record: the shape `encode` produces for a scalar feature. */
export function encodeNumber(value: number): Tensor[] {
  return [numbersTensor("x", [value])];
}

export function numbersTensor(name: string, values: readonly number[]): Tensor {
  const data = new Uint8Array(values.length * 8);
  const view = new DataView(data.buffer);
  for (const [i, value] of values.entries()) view.setFloat64(i * 8, value, true);
  return { name, datatype: "FP64", shape: [values.length, 1], data };
}

export function readNumbers(tensor: Tensor): number[] {
  const view = new DataView(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  const values: number[] = [];
  for (let offset = 0; offset < tensor.data.byteLength; offset += 8) {
    values.push(view.getFloat64(offset, true));
  }
  return values;
}

/** Decodes the single output row of one record. */
export function decodeNumber(outputs: Tensor[]): number {
  const first = outputs[0];
  if (first === undefined) throw new Error("no output tensor");
  const [value] = readNumbers(first);
  if (value === undefined) throw new Error("empty output tensor");
  return value;
}

export interface RecordedCall {
  readonly inputs: number[];
  readonly context: InferContext;
  readonly startedAt: number;
}

/**
 * A model computing `rowFunction` on every row, answering after `latencyMs(inputs)` of fake
 * time (or never, for Infinity). Records each call, its context and its start time.
 */
export function rowModel(
  rowFunction: (x: number) => number,
  latencyMs: (inputs: readonly number[]) => number = () => 0,
): { infer: InferFunction; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const infer: InferFunction = (inputs, context) => {
    const first = inputs[0];
    if (first === undefined) throw new Error("no input tensor");
    const values = readNumbers(first);
    calls.push({ inputs: values, context, startedAt: Date.now() });
    return new Promise((resolve, reject) => {
      const latency = latencyMs(values);
      context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true });
      if (latency === Number.POSITIVE_INFINITY) return;
      setTimeout(() => resolve([numbersTensor("y", values.map(rowFunction))]), latency);
    });
  };
  return { infer, calls };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/**
 * Fakes the clocks and timers the operator reads; `setImmediate` stays real so that a test can
 * let every pending promise run before it concludes that nothing is left to happen.
 */
export function useFakeTime(): void {
  vi.useFakeTimers({
    now: 0,
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"],
  });
}

/** Runs fake time until `work` settles, and returns its outcome. */
export async function settleWithTimers<T>(work: Promise<T>): Promise<T> {
  let settled = false;
  const tracked = work.finally(() => {
    settled = true;
  });
  tracked.catch(() => undefined);
  while (!settled) {
    await vi.runAllTimersAsync();
    if (!settled && vi.getTimerCount() === 0) {
      // Nothing scheduled: let pending promise chains run before deciding it hangs.
      await new Promise((resolve) => setImmediate(resolve));
      if (!settled && vi.getTimerCount() === 0) throw new Error("work hangs: no timer left to run");
    }
  }
  return tracked;
}
