import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it, vi } from "vitest";
import type { InferFunction } from "../src/operator/async-inference-options.js";
import { toNodeTransform } from "../src/operator/node-transform.js";
import { toWebTransformStream } from "../src/operator/web-transform-stream.js";
import { decodeNumber, encodeNumber, rowModel } from "./operator-fixtures.js";

const codec = { encode: encodeNumber, decode: decodeNumber };
const range = (n: number) => [...Array(n).keys()];
const tick = () => new Promise((resolve) => setImmediate(resolve));

function collector(into: unknown[]): Writable {
  return new Writable({
    objectMode: true,
    write(chunk, _encoding, callback) {
      into.push(chunk);
      callback();
    },
  });
}

const rejecting: InferFunction = async () => {
  throw new SidecarError(ErrorCode.InvalidArgument, "bad row");
};

describe("toNodeTransform", () => {
  it("runs the operator inside pipeline(), results in order", async () => {
    const { infer } = rowModel(
      (x) => x * 3,
      ([x]) => 10 - (x ?? 0),
    );
    const out: unknown[] = [];
    await pipeline(Readable.from(range(10)), toNodeTransform({ ...codec, infer }), collector(out));
    expect(out).toEqual(range(10).map((x) => x * 3));
  });

  it("takes no more records than capacity while the model is busy, and aborts them on destroy", async () => {
    const { infer, calls } = rowModel(
      (x) => x,
      () => Number.POSITIVE_INFINITY,
    );
    const transform = toNodeTransform({ ...codec, infer, capacity: 2 });
    for (const x of range(10)) transform.write(x);
    await tick();
    expect(calls).toHaveLength(2);
    expect(transform.writableLength).toBeGreaterThan(0);
    transform.destroy();
    await tick();
    expect(calls.map((call) => call.context.signal.aborted)).toEqual([true, true]);
  });

  it("stops reading results while nobody reads its output, then delivers them all", async () => {
    const { infer, calls } = rowModel((x) => x);
    const transform = toNodeTransform({ ...codec, infer, capacity: 2 });
    const writing = pipeline(Readable.from(range(100)), transform);
    // Wait until the output buffer is full, then give the operator turns in which it could go on.
    await vi.waitUntil(() => transform.readableLength >= transform.readableHighWaterMark, {
      timeout: 5_000,
    });
    for (let turn = 0; turn < 10; turn++) await tick();
    // Readable buffer (its high-water mark) + the operator's capacity + the record being written.
    expect(calls.length).toBeLessThanOrEqual(transform.readableHighWaterMark + 2 + 1);
    const out: unknown[] = [];
    for await (const value of transform) out.push(value);
    await writing;
    expect(out).toEqual(range(100));
  });

  it("errors the stream with the operator's error", async () => {
    const failing = pipeline(
      Readable.from([1]),
      toNodeTransform({ ...codec, infer: rejecting }),
      collector([]),
    );
    await expect(failing).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });
});

describe("toWebTransformStream", () => {
  it("runs the operator inside pipeThrough(), results in order", async () => {
    const { infer } = rowModel(
      (x) => x + 1,
      ([x]) => 10 - (x ?? 0),
    );
    const out: number[] = [];
    for await (const value of ReadableStream.from(range(10)).pipeThrough(
      toWebTransformStream({ ...codec, infer }),
    )) {
      out.push(value);
    }
    expect(out).toEqual(range(10).map((x) => x + 1));
  });

  it("holds writes while the operator is full", async () => {
    const { infer, calls } = rowModel(
      (x) => x,
      () => Number.POSITIVE_INFINITY,
    );
    const stream = toWebTransformStream({ ...codec, infer, capacity: 2 });
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    // A pending read: the readable side wants results, so only the operator can hold writes.
    const firstResult = reader.read();
    const writes = range(5).map((x) => writer.write(x));
    await tick();
    expect(calls).toHaveLength(2);
    expect(writer.desiredSize).toBeLessThan(0);
    await reader.cancel();
    await Promise.allSettled([firstResult, ...writes]);
  });

  it("errors the readable side with the operator's error", async () => {
    const results = ReadableStream.from([1]).pipeThrough(
      toWebTransformStream({ ...codec, infer: rejecting }),
    );
    const reader = results.getReader();
    await expect(reader.read()).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });
});
