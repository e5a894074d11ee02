import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatTensors, encodeTensor, rowsOf, splitTensor } from "../src/codec/index.js";
import type { Tensor } from "../src/tensor.js";
import { batchPartsArb, expectInvalid, tensorArb } from "./codec-helpers.js";

const batchableArb = tensorArb().filter((tensor) => tensor.shape.length > 0);

/** Random row counts that add up to `rows`. */
function rowCountsArb(rows: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: rows }), { maxLength: 4 }).map((cuts) => {
    const sorted = [0, ...cuts.sort((a, b) => a - b), rows];
    return sorted.slice(1).map((cut, index) => cut - (sorted[index] ?? 0));
  });
}

describe("concat / split laws", () => {
  it("split(concat(parts), rows of parts) gives the parts back", () => {
    fc.assert(
      fc.property(batchPartsArb, (parts) => {
        const batch = concatTensors(parts);
        expect(rowsOf(batch)).toBe(parts.reduce((sum, part) => sum + rowsOf(part), 0));
        expect(splitTensor(batch, parts.map(rowsOf))).toEqual(parts);
      }),
    );
  });

  it("concat(split(t, counts)) gives t back", () => {
    fc.assert(
      fc.property(
        batchableArb.chain((tensor) =>
          rowCountsArb(rowsOf(tensor)).map((counts) => ({ tensor, counts })),
        ),
        ({ tensor, counts }) => {
          const parts = splitTensor(tensor, counts);
          expect(parts.map(rowsOf)).toEqual(counts);
          expect(concatTensors(parts)).toEqual(tensor);
        },
      ),
    );
  });

  it("split returns views of the batch's buffer, never copies", () => {
    fc.assert(
      fc.property(batchPartsArb, (parts) => {
        const batch = concatTensors(parts);
        for (const part of splitTensor(batch, parts.map(rowsOf))) {
          expect(part.data.buffer).toBe(batch.data.buffer);
        }
      }),
    );
  });

  it("concat of a single part is that part itself", () => {
    fc.assert(
      fc.property(batchableArb, (tensor) => {
        expect(concatTensors([tensor])).toBe(tensor);
      }),
    );
  });

  it("splits BYTES at element boundaries", () => {
    const words = encodeTensor({
      name: "w",
      datatype: "BYTES",
      shape: [3, 1],
      values: ["a", "bcd", ""],
    });
    const [first, rest] = splitTensor(words, [1, 2]);
    expect([...(first?.data ?? [])]).toEqual([1, 0, 0, 0, 0x61]);
    expect(rest?.shape).toEqual([2, 1]);
    expect(rest?.data.length).toBe(4 + 3 + 4);
  });
});

describe("batch errors", () => {
  const rows = (n: number, name = "x", width = 2): Tensor =>
    encodeTensor({
      name,
      datatype: "FP32",
      shape: [n, width],
      values: new Float32Array(n * width),
    });

  it("rejects parts with a different name, datatype or non-batch shape", () => {
    expectInvalid(
      () => concatTensors([rows(1), rows(1, "y")]),
      'tensor "x"',
      'part 1 is FP32 tensor "y", expected FP32 tensor "x"',
    );
    const ints = encodeTensor({ name: "x", datatype: "INT32", shape: [1, 2], values: [1, 2] });
    expectInvalid(
      () => concatTensors([rows(1), ints]),
      'part 1 is INT32 tensor "x", expected FP32',
    );
    expectInvalid(
      () => concatTensors([rows(1), rows(2, "x", 3)]),
      'tensor "x"',
      "part 1 has shape [2,3], expected [2,2] (non-batch dimensions must agree)",
    );
  });

  it("rejects nothing to concatenate and scalars", () => {
    expectInvalid(() => concatTensors([]), "no tensors to concatenate");
    const scalar = encodeTensor({ name: "s", datatype: "FP32", shape: [], values: [1] });
    expectInvalid(() => rowsOf(scalar), 'tensor "s"', "shape [] has no batch dimension");
    expectInvalid(() => splitTensor(scalar, [1]), "shape [] has no batch dimension");
  });

  it("rejects row counts that do not cover the tensor", () => {
    expectInvalid(
      () => splitTensor(rows(3), [1, 1]),
      'tensor "x"',
      "row counts [1,1] add up to 2, expected the 3 rows of shape [3,2]",
    );
    expectInvalid(
      () => splitTensor(rows(3), [4, -1]),
      "row count 1 is -1, expected a non-negative integer",
    );
  });

  it("rejects data that does not match the shape", () => {
    expectInvalid(
      () => splitTensor({ ...rows(2), data: new Uint8Array(12) }, [1, 1]),
      "data is 12 bytes, expected 16 for shape [2,2] of FP32",
    );
    const words = encodeTensor({ name: "w", datatype: "BYTES", shape: [2], values: ["a", "b"] });
    const padded = new Uint8Array(words.data.length + 1);
    padded.set(words.data);
    expectInvalid(
      () => splitTensor({ ...words, data: padded }, [1, 1]),
      "BYTES data has 1 bytes after its 2 rows, expected none",
    );
  });
});
