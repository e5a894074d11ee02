import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCumulativeHistogram } from "../src/metrics/cumulative-histogram.js";
import {
  BATCH_SIZE_BOUNDARIES_ROWS,
  DURATION_BOUNDARIES_SECONDS,
} from "../src/metrics/histogram-boundaries.js";

describe("cumulative histogram", () => {
  it("puts each value in the first bucket whose upper bound it does not exceed", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.double({ min: 0, max: 60, noNaN: true }),
            fc.constantFrom(...DURATION_BOUNDARIES_SECONDS),
          ),
        ),
        (values) => {
          const histogram = createCumulativeHistogram(DURATION_BOUNDARIES_SECONDS);
          for (const value of values) histogram.record(value);
          const expected = new Array<number>(DURATION_BOUNDARIES_SECONDS.length + 1).fill(0);
          for (const value of values) {
            const bucket = DURATION_BOUNDARIES_SECONDS.findIndex((bound) => value <= bound);
            const index = bucket === -1 ? DURATION_BOUNDARIES_SECONDS.length : bucket;
            expected[index] = (expected[index] ?? 0) + 1;
          }
          const snapshot = histogram.snapshot();
          expect(snapshot.buckets.boundaries).toEqual(DURATION_BOUNDARIES_SECONDS);
          expect(snapshot.buckets.counts).toEqual(expected);
          expect(snapshot.count).toBe(values.length);
          expect(histogram.count).toBe(values.length);
          expect(snapshot.sum).toBeCloseTo(
            values.reduce((sum, value) => sum + value, 0),
            9,
          );
          if (values.length > 0) {
            expect(snapshot.min).toBe(Math.min(...values));
            expect(snapshot.max).toBe(Math.max(...values));
          }
        },
      ),
    );
  });

  it("reports no min or max before the first value, and snapshots that later records leave alone", () => {
    const histogram = createCumulativeHistogram(BATCH_SIZE_BOUNDARIES_ROWS);
    const empty = histogram.snapshot();
    expect(empty).toEqual({
      buckets: {
        boundaries: [...BATCH_SIZE_BOUNDARIES_ROWS],
        counts: new Array(BATCH_SIZE_BOUNDARIES_ROWS.length + 1).fill(0),
      },
      count: 0,
      sum: 0,
    });
    histogram.record(5000);
    expect(empty.count).toBe(0);
    expect(histogram.snapshot().buckets.counts.at(-1)).toBe(1);
  });
});
