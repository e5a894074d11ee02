import {
  DATATYPES,
  type Datatype,
  type ModelSignature,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDynamicBatcher } from "../src/batching/dynamic-batcher.js";
import { transferableTensors } from "../src/executor/transferable-tensors.js";
import { FakeExecutor, type Responder } from "./batching-fixtures.js";

const ELEMENT_BYTES: Partial<Record<Datatype, number>> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  BF16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

/**
 * Echoes input 0 the way a model instance sees it: the inputs cross to the worker as
 * `postMessage` moves them (transferred buffers are detached on this side), and the output is
 * a tensor of its own.
 */
const transferringEcho: Responder = (inputs, outputNames) => {
  const { tensors, transferList } = transferableTensors(inputs);
  const [moved] = structuredClone(tensors, { transfer: transferList });
  return outputNames.map((name) => ({ ...(moved as Tensor), name }));
};

/** Where a request's bytes live: each layout the servers hand the batcher. */
type Layout = "own" | "offset" | "shared" | "sab" | "node-view" | "node-pool";

/** The bytes of one element: BOOL is 0 or 1, BYTES a length-prefixed string. */
function elementBytes(datatype: Datatype, seed: number): Uint8Array {
  if (datatype === "BYTES") {
    const text = new TextEncoder().encode("r".repeat(seed % 5));
    const framed = new Uint8Array(4 + text.length);
    new DataView(framed.buffer).setUint32(0, text.length, true);
    framed.set(text, 4);
    return framed;
  }
  const size = ELEMENT_BYTES[datatype] as number;
  const bytes = new Uint8Array(size);
  if (datatype === "BOOL") bytes[0] = seed % 2;
  // Small values: valid for every numeric type, FP16 and BF16 included.
  else bytes[0] = seed % 7;
  return bytes;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Copies each request's bytes into the layout; "shared" puts them all in one buffer. */
function place(payloads: readonly Uint8Array[], layout: Layout, pad: number): Uint8Array[] {
  if (layout === "shared") {
    const buffer = new ArrayBuffer(pad + payloads.reduce((sum, p) => sum + p.length + pad, 0));
    let offset = pad;
    return payloads.map((payload) => {
      const view = new Uint8Array(buffer, offset, payload.length);
      view.set(payload);
      offset += payload.length + pad;
      return view;
    });
  }
  return payloads.map((payload) => {
    switch (layout) {
      case "own":
        return payload.slice();
      case "offset": {
        const view = new Uint8Array(
          new ArrayBuffer(pad + payload.length + pad),
          pad,
          payload.length,
        );
        view.set(payload);
        return view;
      }
      case "sab": {
        const view = new Uint8Array(
          new SharedArrayBuffer(pad + payload.length),
          pad,
          payload.length,
        );
        view.set(payload);
        return view;
      }
      case "node-view": {
        const view = Buffer.from(new ArrayBuffer(pad + payload.length), pad, payload.length);
        view.set(payload);
        return view;
      }
      default: {
        // "node-pool"
        // Small allocations come from Node's shared pool.
        const view = Buffer.allocUnsafe(payload.length);
        view.set(payload);
        return view;
      }
    }
  });
}

describe("splitting oversize requests into chunks and joining their outputs", () => {
  it("gives every request exactly its own rows, whatever buffer its data is a view of", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...DATATYPES),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom<Layout>("own", "offset", "shared", "sab", "node-view", "node-pool"),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 1, max: 18 }), { minLength: 1, maxLength: 4 }),
        async (datatype, maxBatchSize, width, layout, pad, instances, rowFactors) => {
          const signature: ModelSignature = {
            inputs: [{ name: "x", datatype, shape: [-1, width] }],
            outputs: [{ name: "y", datatype, shape: [-1, width] }],
          };
          const executor = new FakeExecutor({
            instances,
            autoRespond: true,
            responder: transferringEcho,
          });
          const batcher = createDynamicBatcher({
            signature,
            config: { max_batch_size: maxBatchSize },
            executor,
          });
          // 1 .. 3 * max_batch_size rows per request.
          const rowCounts = rowFactors.map((factor) => 1 + ((factor - 1) % (3 * maxBatchSize)));
          let seed = 0;
          const payloads = rowCounts.map((rows) =>
            concatBytes(Array.from({ length: rows * width }, () => elementBytes(datatype, seed++))),
          );
          const views = place(payloads, layout, pad);
          const results = await Promise.all(
            views.map((data, index) =>
              batcher.submit({
                inputs: [{ name: "x", datatype, shape: [rowCounts[index] as number, width], data }],
              }),
            ),
          );
          results.forEach((outputs, index) => {
            expect(outputs).toHaveLength(1);
            expect(outputs[0]?.shape).toEqual([rowCounts[index], width]);
            expect(new Uint8Array(outputs[0]?.data ?? [])).toEqual(payloads[index]);
          });
          expect(Math.max(...executor.batchRows)).toBeLessThanOrEqual(maxBatchSize);
          await batcher.close();
        },
      ),
      { numRuns: 200 },
    );
  });
});
