import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hostOrderArray, swapByteOrder } from "../src/codec/byte-order.js";
import {
  decodeTensorValues,
  encodeTensor,
  type TensorInput,
  type TensorValueMap,
} from "../src/codec/index.js";
import type { Datatype, Tensor } from "../src/tensor.js";
import { count, datatypeArb, expectInvalid, shapeArb, tensorArb } from "./codec-helpers.js";

function bytes(tensor: Tensor): number[] {
  return [...tensor.data];
}

describe("known byte vectors", () => {
  it("INT32 -1 is ff ff ff ff and 258 is 02 01 00 00", () => {
    const t = encodeTensor({ name: "t", datatype: "INT32", shape: [2], values: [-1, 258] });
    expect(bytes(t)).toEqual([0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00, 0x00]);
  });

  it("FP16 1.0 is 00 3c and BF16 1.0 is 80 3f", () => {
    expect(bytes(encodeTensor({ name: "t", datatype: "FP16", shape: [1], values: [1] }))).toEqual([
      0x00, 0x3c,
    ]);
    expect(bytes(encodeTensor({ name: "t", datatype: "BF16", shape: [1], values: [1] }))).toEqual([
      0x80, 0x3f,
    ]);
  });

  it("FP32 1.0 is 00 00 80 3f; FP64 -2 ends in 00 c0", () => {
    expect(bytes(encodeTensor({ name: "t", datatype: "FP32", shape: [], values: [1] }))).toEqual([
      0, 0, 0x80, 0x3f,
    ]);
    expect(bytes(encodeTensor({ name: "t", datatype: "FP64", shape: [], values: [-2] }))).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0xc0,
    ]);
  });

  it("64-bit integers are exact beyond 2^53", () => {
    const t = encodeTensor({
      name: "t",
      datatype: "INT64",
      shape: [2],
      values: [-(2n ** 63n), 2n ** 53n + 1n],
    });
    expect(bytes(t).slice(0, 8)).toEqual([0, 0, 0, 0, 0, 0, 0, 0x80]);
    expect([...decodeTensorValues({ ...t, datatype: "INT64" })]).toEqual([
      -(2n ** 63n),
      2n ** 53n + 1n,
    ]);
    const u = encodeTensor({ name: "u", datatype: "UINT64", shape: [1], values: [2n ** 64n - 1n] });
    expect(bytes(u)).toEqual(Array(8).fill(0xff));
  });

  it("BOOL is one byte 0/1 per element and decodes to booleans", () => {
    const t = encodeTensor({
      name: "t",
      datatype: "BOOL",
      shape: [3],
      values: [true, false, true],
    });
    expect(bytes(t)).toEqual([1, 0, 1]);
    expect(decodeTensorValues({ ...t, datatype: "BOOL" })).toEqual([true, false, true]);
  });

  it("decodes FP16 data to exact float32 values", () => {
    const data = Uint8Array.of(0x00, 0x3c, 0xff, 0x7b, 0x01, 0x00, 0x00, 0xfc, 0x00, 0x7e);
    const values = decodeTensorValues({ name: "h", datatype: "FP16", shape: [5], data });
    expect([...values]).toEqual([1, 65504, 2 ** -24, Number.NEGATIVE_INFINITY, Number.NaN]);
  });
});

/** Values for a datatype, generated directly rather than from bytes. */
function valuesArb(datatype: Datatype, n: number): fc.Arbitrary<TensorInput["values"]> {
  const list = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: n, maxLength: n });
  switch (datatype) {
    case "BOOL":
      return list(fc.boolean());
    case "UINT8":
      return list(fc.integer({ min: 0, max: 0xff }));
    case "UINT16":
      return list(fc.integer({ min: 0, max: 0xffff }));
    case "UINT32":
      return list(fc.integer({ min: 0, max: 0xffffffff }));
    case "INT8":
      return list(fc.integer({ min: -0x80, max: 0x7f }));
    case "INT16":
      return list(fc.integer({ min: -0x8000, max: 0x7fff }));
    case "INT32":
      return list(fc.integer({ min: -0x80000000, max: 0x7fffffff }));
    case "UINT64":
      return list(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
    case "INT64":
      return list(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
    case "FP16":
    case "BF16":
    case "FP32":
      return list(fc.float({ noDefaultInfinity: false }).map(Math.fround));
    case "FP64":
      return list(fc.double());
    case "BYTES":
      return list(fc.uint8Array({ maxLength: 5 }));
  }
}

/** What a value becomes after the datatype's rounding, for comparing round trips. */
function expected(datatype: Datatype, values: TensorInput["values"]): unknown[] {
  const list = Array.from(values as ArrayLike<unknown>);
  if (datatype !== "FP16" && datatype !== "BF16") return list;
  const half = encodeTensor({
    name: "r",
    datatype,
    shape: [list.length],
    values: list as number[],
  });
  return [...decodeTensorValues(half)];
}

describe("round trips for every datatype", () => {
  it("raw → values → raw reproduces the bytes", () => {
    fc.assert(
      fc.property(tensorArb(), (tensor) => {
        const values = decodeTensorValues(tensor);
        const input = { ...tensor, values } as TensorInput;
        expect(encodeTensor(input).data).toEqual(tensor.data);
      }),
    );
  });

  it("values → raw → values reproduces the values (FP16/BF16 after rounding once)", () => {
    fc.assert(
      fc.property(
        datatypeArb.chain((datatype) =>
          shapeArb.chain((shape) =>
            valuesArb(datatype, count(shape)).map((values) => ({ datatype, shape, values })),
          ),
        ),
        ({ datatype, shape, values }) => {
          const input = { name: "v", datatype, shape, values } as TensorInput;
          const decoded = Array.from(decodeTensorValues(encodeTensor(input)) as ArrayLike<unknown>);
          expect(decoded).toEqual(expected(datatype, values));
          // Rounding is idempotent: a decoded value encodes to the same bytes again.
          const again = encodeTensor({ ...input, values: decoded } as TensorInput);
          expect(again.data).toEqual(encodeTensor(input).data);
        },
      ),
    );
  });

  it("number and bigint inputs for 64-bit integers give the same bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger()), (numbers) => {
        const shape = [numbers.length];
        const fromNumbers = encodeTensor({ name: "n", datatype: "INT64", shape, values: numbers });
        const fromBigints = encodeTensor({
          name: "n",
          datatype: "INT64",
          shape,
          values: numbers.map(BigInt),
        });
        expect(fromNumbers.data).toEqual(fromBigints.data);
      }),
    );
  });
});

describe("views instead of copies", () => {
  it("decodes aligned numeric data as a view of the tensor's buffer", () => {
    const buffer = new ArrayBuffer(16);
    const data = new Uint8Array(buffer, 8, 8);
    const values = decodeTensorValues({ name: "f", datatype: "FP32", shape: [2], data });
    expect(values.buffer).toBe(buffer);
    expect(values.byteOffset).toBe(8);
  });

  it("copies once, correctly, when the data is not aligned for the element size", () => {
    const backing = Uint8Array.of(0xaa, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00);
    const data = backing.subarray(1);
    const values = decodeTensorValues({ name: "i", datatype: "INT32", shape: [2], data });
    expect([...values]).toEqual([-1, 2]);
    expect(values.buffer).not.toBe(backing.buffer);
  });

  it.each([
    { datatype: "FP32", values: Float32Array.of(1, 2, 3) },
    { datatype: "FP64", values: Float64Array.of(1, 2, 3) },
    { datatype: "INT32", values: Int32Array.of(-1, 2, 3) },
    { datatype: "UINT8", values: Uint8Array.of(1, 2, 3) },
    { datatype: "INT64", values: BigInt64Array.of(1n, 2n, 3n) },
  ] as const)("encodes $datatype's own typed array without copying it", (input) => {
    const tensor = encodeTensor({ name: "v", shape: [3], ...input } as TensorInput);
    expect(tensor.data.buffer).toBe(input.values.buffer);
    expect(tensor.data.length).toBe(input.values.byteLength);
  });

  it("swaps byte order per element for big-endian hosts", () => {
    expect([...swapByteOrder(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 4)]).toEqual([
      4, 3, 2, 1, 8, 7, 6, 5,
    ]);
    expect([...hostOrderArray(Uint16Array, Uint8Array.of(0x34, 0x12))]).toEqual([0x1234]);
  });
});

describe("bad values", () => {
  it("rejects a value count that does not match the shape", () => {
    expectInvalid(
      () => encodeTensor({ name: "x", datatype: "FP32", shape: [2, 3], values: [1, 2] }),
      'tensor "x"',
      "got 2 values, expected 6 for shape [2,3]",
    );
  });

  it.each([
    ["UINT8", 256, "[0, 255]"],
    ["INT8", -129, "[-128, 127]"],
    ["UINT32", -1, "[0, 4294967295]"],
    ["INT16", 1.5, "[-32768, 32767]"],
  ] as const)("rejects %s value %d", (datatype, value, range) => {
    expectInvalid(
      () => encodeTensor({ name: "ints", datatype, shape: [2], values: [0, value] }),
      'tensor "ints"',
      `element 1 is number ${value}`,
      `expected an integer in ${range} for ${datatype}`,
    );
  });

  it("rejects 64-bit values that are unsafe numbers or out of range", () => {
    expectInvalid(
      () => encodeTensor({ name: "big", datatype: "INT64", shape: [1], values: [2 ** 60] }),
      'tensor "big"',
      `element 0 is number ${2 ** 60}`,
      "expected a bigint or safe integer in the INT64 range",
    );
    expectInvalid(
      () => encodeTensor({ name: "big", datatype: "UINT64", shape: [1], values: [-1n] }),
      "element 0 is bigint -1",
      "UINT64 range",
    );
    expectInvalid(
      () => encodeTensor({ name: "big", datatype: "INT64", shape: [1], values: [2n ** 63n] }),
      "INT64 range",
    );
  });

  it("rejects values of the wrong JS type", () => {
    expectInvalid(
      () =>
        encodeTensor({
          name: "b",
          datatype: "BOOL",
          shape: [1],
          values: [1 as unknown as boolean],
        }),
      'tensor "b"',
      "element 0 is number 1, expected a boolean",
    );
    expectInvalid(
      () =>
        encodeTensor({
          name: "f",
          datatype: "FP16",
          shape: [1],
          values: ["1" as unknown as number],
        }),
      'element 0 is "1", expected a number',
    );
  });

  it("rejects decoding a BOOL byte other than 0 or 1", () => {
    expectInvalid(
      () =>
        decodeTensorValues({
          name: "flags",
          datatype: "BOOL",
          shape: [2],
          data: Uint8Array.of(1, 2),
        }),
      'tensor "flags"',
      "BOOL element 1 is byte 2, expected 0 or 1",
    );
  });

  it("rejects decoding data whose length does not match the shape", () => {
    const decode = (datatype: keyof TensorValueMap, data: Uint8Array) =>
      decodeTensorValues({ name: "d", datatype, shape: [2], data });
    expectInvalid(
      () => decode("INT32", new Uint8Array(7)),
      'tensor "d"',
      "data is 7 bytes, expected 8",
    );
    expectInvalid(() => decode("BYTES", Uint8Array.of(0, 0, 0, 0)), "BYTES element 1");
  });
});
