import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RingBuffer } from "../src/operator/ring-buffer.js";

describe("RingBuffer", () => {
  it("behaves as a FIFO array across growth and wrap-around", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.oneof(fc.integer(), fc.constant("shift" as const)), { maxLength: 300 }),
        (initialCapacity, operations) => {
          const ring = new RingBuffer<number>(initialCapacity);
          const model: number[] = [];
          for (const operation of operations) {
            if (operation === "shift") expect(ring.shift()).toBe(model.shift());
            else {
              ring.push(operation);
              model.push(operation);
            }
            expect(ring.size).toBe(model.length);
            expect(ring.peek()).toBe(model[0]);
            expect(ring.at(model.length - 1)).toBe(model.at(-1));
          }
          for (let i = 0; i < model.length; i++) expect(ring.at(i)).toBe(model[i]);
          expect(ring.at(model.length)).toBeUndefined();
          expect(ring.at(-1)).toBeUndefined();
        },
      ),
    );
  });
});
