import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TensorSpec } from "../src/backend.js";
import {
  byteSize,
  elementByteSize,
  elementCount,
  validateAgainstSpec,
  validateTensor,
} from "../src/codec/index.js";
import type { Datatype, Tensor } from "../src/tensor.js";
import { count, datatypeArb, expectInvalid, SIZES, shapeArb, tensorArb } from "./codec-helpers.js";

describe("elementCount and byteSize", () => {
  it("multiply the dimensions (a scalar has one element)", () => {
    fc.assert(
      fc.property(shapeArb, (shape) => {
        expect(elementCount(shape)).toBe(count(shape));
      }),
    );
    expect(elementCount([])).toBe(1);
    expect(elementCount([3, 0, 2 ** 52])).toBe(0);
    // A product that overflowed before a zero dimension is still an empty tensor.
    expect(elementCount([2 ** 30, 2 ** 30, 2 ** 30, 0])).toBe(0);
  });

  it("give fixed datatypes count × element size and BYTES no size", () => {
    fc.assert(
      fc.property(datatypeArb, shapeArb, (datatype, shape) => {
        const expected = datatype === "BYTES" ? undefined : count(shape) * SIZES[datatype];
        expect(byteSize(datatype, shape)).toBe(expected);
        if (datatype !== "BYTES") expect(elementByteSize(datatype)).toBe(SIZES[datatype]);
      }),
    );
  });

  it.each([
    [[2, -1], "dimension 1 is -1"],
    [[1.5], "dimension 0 is 1.5"],
    [[Number.NaN], "dimension 0 is NaN"],
    [[Number.POSITIVE_INFINITY, 1], "dimension 0 is Infinity"],
  ])("rejects shape %j", (shape, problem) => {
    expectInvalid(
      () => elementCount(shape, "img"),
      'tensor "img"',
      problem,
      "expected a non-negative integer",
    );
  });

  it("rejects element counts past Number.MAX_SAFE_INTEGER", () => {
    expectInvalid(
      () => elementCount([2 ** 30, 2 ** 30, 2 ** 30], "huge"),
      'tensor "huge"',
      "shape [1073741824,1073741824,1073741824] has more elements than 9007199254740991",
    );
    expectInvalid(
      () => byteSize("FP64", [2 ** 52], "huge"),
      "shape [4503599627370496] of FP64 needs more than 9007199254740991 bytes",
    );
  });
});

describe("validateTensor", () => {
  it("accepts every well-formed tensor", () => {
    fc.assert(
      fc.property(tensorArb(), (tensor) => {
        expect(() => validateTensor(tensor)).not.toThrow();
      }),
    );
  });

  it("rejects fixed-size data of the wrong length, with expected and actual sizes", () => {
    fc.assert(
      fc.property(
        tensorArb(datatypeArb.filter((d): d is Exclude<Datatype, "BYTES"> => d !== "BYTES")),
        fc.integer({ min: 1, max: 9 }),
        (tensor, extra) => {
          const data = new Uint8Array(tensor.data.length + extra);
          expectInvalid(
            () => validateTensor({ ...tensor, data }),
            `tensor ${JSON.stringify(tensor.name)}`,
            `data is ${data.length} bytes, expected ${tensor.data.length}`,
          );
        },
      ),
    );
  });

  it("rejects BYTES framing errors and BOOL bytes other than 0/1", () => {
    const bytes = (data: Uint8Array): Tensor => ({
      name: "s",
      datatype: "BYTES",
      shape: [1],
      data,
    });
    expectInvalid(
      () => validateTensor(bytes(Uint8Array.of(3, 0, 0, 0, 1))),
      'tensor "s"',
      "runs past the data",
    );
    expectInvalid(
      () => validateTensor(bytes(Uint8Array.of(0, 0, 0, 0, 7))),
      "1 bytes after its 1 elements",
    );
    expectInvalid(
      () => validateTensor({ name: "f", datatype: "BOOL", shape: [1], data: Uint8Array.of(255) }),
      'tensor "f"',
      "BOOL element 0 is byte 255, expected 0 or 1",
    );
  });

  it("rejects an unknown datatype and an invalid shape", () => {
    const bogus = { name: "t", datatype: "FLOAT", shape: [1], data: new Uint8Array(4) };
    expectInvalid(() => validateTensor(bogus as unknown as Tensor), 'datatype is "FLOAT"');
    expectInvalid(
      () => validateTensor({ name: "t", datatype: "FP32", shape: [-4], data: new Uint8Array(4) }),
      "dimension 0 is -4",
    );
  });
});

describe("validateAgainstSpec", () => {
  const spec: TensorSpec = { name: "pixels", datatype: "FP32", shape: [-1, 3, 2] };
  const tensor = (shape: number[], datatype: Datatype = "FP32", name = "pixels"): Tensor => ({
    name,
    datatype,
    shape,
    data: new Uint8Array(byteSize(datatype, shape) ?? 0),
  });

  it("lets -1 match any size and fixed dims match exactly", () => {
    fc.assert(
      fc.property(fc.nat(5), (rows) => {
        expect(() => validateAgainstSpec(tensor([rows, 3, 2]), spec)).not.toThrow();
      }),
    );
  });

  it("rejects a different name, datatype, rank or fixed dimension", () => {
    expectInvalid(
      () => validateAgainstSpec(tensor([1, 3, 2], "FP32", "PIXELS"), spec),
      'tensor "PIXELS"',
      'expected "pixels", got "PIXELS"',
    );
    expectInvalid(
      () => validateAgainstSpec(tensor([1, 3, 2], "FP64"), spec),
      'tensor "pixels"',
      "datatype is FP64, expected FP32",
    );
    expectInvalid(
      () => validateAgainstSpec(tensor([3, 2]), spec),
      "shape [3,2] has rank 2, expected rank 3 (model shape [-1,3,2])",
    );
    expectInvalid(
      () => validateAgainstSpec(tensor([4, 3, 5]), spec),
      "shape [4,3,5] dimension 2 is 5, expected 2 (model shape [-1,3,2])",
    );
  });

  it("also validates the tensor's data", () => {
    expectInvalid(
      () => validateAgainstSpec({ ...tensor([1, 3, 2]), data: new Uint8Array(3) }, spec),
      "data is 3 bytes, expected 24",
    );
  });
});
