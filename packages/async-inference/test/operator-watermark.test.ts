import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { asyncInference } from "../src/operator/async-inference.js";
import {
  collect,
  decodeNumber,
  encodeNumber,
  rowModel,
  settleWithTimers,
  useFakeTime,
} from "./operator-fixtures.js";

afterEach(() => {
  vi.useRealTimers();
});

interface Watermark {
  readonly watermark: number;
}
type Element = number | Watermark;

const isWatermark = (element: Element): element is Watermark => typeof element !== "number";

/** A stream of records (their latency chosen per record) with watermarks sprinkled in. */
const streams = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant("watermark" as const)), {
    maxLength: 40,
  })
  .map((items) => {
    const latencies: number[] = [];
    const elements: Element[] = items.map((item, i) => {
      if (item === "watermark") return { watermark: i };
      latencies[i] = item;
      return i;
    });
    return { elements, latencies };
  });

describe("asyncInference unordered mode and watermarks", () => {
  it("never moves a record across a watermark", async () => {
    await fc.assert(
      fc.asyncProperty(
        streams,
        fc.integer({ min: 1, max: 10 }),
        async ({ elements, latencies }, capacity) => {
          useFakeTime();
          const { infer } = rowModel(
            (x) => x,
            ([x]) => latencies[x ?? 0] ?? 0,
          );
          const out = await settleWithTimers(
            collect(
              asyncInference(elements, {
                infer,
                encode: encodeNumber,
                decode: decodeNumber,
                ordered: false,
                capacity,
                isWatermark,
              }),
            ),
          );
          // Watermarks keep their relative order, and the records between two watermarks of
          // the output are exactly those between them in the input.
          const segmentsOf = (stream: readonly Element[]) => {
            const segments: number[][] = [[]];
            for (const element of stream) {
              if (isWatermark(element)) segments.push([]);
              else segments.at(-1)?.push(element);
            }
            return segments.map((segment) => [...segment].sort((a, b) => a - b));
          };
          expect(out.filter(isWatermark)).toEqual(elements.filter(isWatermark));
          expect(segmentsOf(out)).toEqual(segmentsOf(elements));
          vi.useRealTimers();
        },
      ),
      { numRuns: 150 },
    );
  });

  it("emits a watermark at once when nothing precedes it, while later records are in flight", async () => {
    useFakeTime();
    const { infer } = rowModel(
      (x) => x,
      () => 100,
    );
    const iterator = asyncInference<Element, number, Watermark>([{ watermark: 0 }, 1, 2], {
      infer,
      encode: encodeNumber,
      decode: decodeNumber,
      ordered: false,
      isWatermark,
    })[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: { watermark: 0 } });
    const rest = settleWithTimers(collect({ [Symbol.asyncIterator]: () => iterator }));
    expect(await rest).toHaveLength(2);
  });

  it("passes watermarks through in place in ordered mode", async () => {
    const { infer } = rowModel((x) => -x);
    const out = await collect(
      asyncInference<Element, number, Watermark>([1, { watermark: 1 }, 2], {
        infer,
        encode: encodeNumber,
        decode: decodeNumber,
        isWatermark,
      }),
    );
    expect(out).toEqual([-1, { watermark: 1 }, -2]);
  });
});
