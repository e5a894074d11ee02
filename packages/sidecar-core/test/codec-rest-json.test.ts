import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeRestTensor,
  decodeTensorValues,
  encodeRestTensor,
  encodeTensor,
} from "../src/codec/index.js";
import type { Tensor } from "../src/tensor.js";
import { expectInvalid, tensorArb } from "./codec-helpers.js";

/** JSON as it travels: through the real serializer and parser. */
function overTheWire(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Nests flat row-major data to match a shape. */
function nest(flat: readonly unknown[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return [...flat];
  const [rows = 0, ...rest] = shape;
  const size = flat.length / Math.max(rows, 1);
  return Array.from({ length: rows }, (_, row) =>
    nest(flat.slice(row * size, (row + 1) * size), rest),
  );
}

describe("REST JSON round trips", () => {
  it("every datatype survives encode → JSON text → decode", () => {
    fc.assert(
      fc.property(tensorArb(undefined, { utf8: true }), (tensor) => {
        expect(decodeRestTensor(overTheWire(encodeRestTensor(tensor)))).toEqual(tensor);
      }),
    );
  });

  it("nested data equal to the shape decodes like flat data", () => {
    fc.assert(
      fc.property(
        tensorArb(undefined, { utf8: true }).filter((t) => t.shape.length > 1),
        (tensor) => {
          const json = encodeRestTensor(tensor);
          const nested = { ...json, data: nest(json.data ?? [], json.shape) };
          expect(decodeRestTensor(overTheWire(nested))).toEqual(tensor);
        },
      ),
    );
  });

  it("binary mode declares binary_data_size and decodes from the part", () => {
    fc.assert(
      fc.property(tensorArb(), (tensor) => {
        const json = encodeRestTensor(tensor, { binaryData: true });
        expect(json.data).toBeUndefined();
        expect(json.parameters).toEqual({ binary_data_size: tensor.data.length });
        expect(decodeRestTensor(overTheWire(json), tensor.data)).toEqual(tensor);
      }),
    );
  });
});

describe("REST JSON values", () => {
  it("accepts what Flink's Triton provider sends: flat data, [1, N] shape, plain strings", () => {
    const input = overTheWire({
      name: "TEXT",
      shape: [1, 2],
      datatype: "BYTES",
      data: ["héllo", ""],
    });
    const tensor = decodeRestTensor(input);
    expect([...tensor.data]).toEqual([6, 0, 0, 0, 0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f, 0, 0, 0, 0]);
    const scalar = decodeRestTensor({ name: "X", shape: [1], datatype: "FP32", data: [0.5] });
    expect([...decodeTensorValues({ ...scalar, datatype: "FP32" })]).toEqual([0.5]);
  });

  it("writes 64-bit integers as numbers when safe and as strings otherwise", () => {
    const tensor = encodeTensor({
      name: "ids",
      datatype: "INT64",
      shape: [3],
      values: [7n, 2n ** 53n + 1n, -(2n ** 63n)],
    });
    const json = encodeRestTensor(tensor);
    expect(json.data).toEqual([7, "9007199254740993", "-9223372036854775808"]);
    expect(decodeRestTensor(overTheWire(json))).toEqual(tensor);
  });

  it("writes non-finite floats as the strings JSON numbers cannot hold", () => {
    const tensor = encodeTensor({
      name: "f",
      datatype: "FP16",
      shape: [4],
      values: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -2],
    });
    const json = encodeRestTensor(tensor);
    expect(json.data).toEqual(["NaN", "Infinity", "-Infinity", -2]);
    expect(decodeRestTensor(overTheWire(json))).toEqual(tensor);
  });

  it("rounds JSON numbers to FP16 / BF16 on the way in", () => {
    const half = decodeRestTensor({ name: "h", shape: [2], datatype: "FP16", data: [1, 65504] });
    expect([...half.data]).toEqual([0x00, 0x3c, 0xff, 0x7b]);
    const brain = decodeRestTensor({ name: "b", shape: [1], datatype: "BF16", data: [1] });
    expect([...brain.data]).toEqual([0x80, 0x3f]);
  });
});

describe("REST JSON errors", () => {
  const base = { name: "in", datatype: "INT32", shape: [2, 2] };
  const decode = (overrides: Record<string, unknown>, binary?: Uint8Array): Tensor =>
    decodeRestTensor({ ...base, ...overrides }, binary);

  it("rejects nesting that does not match the shape, saying where", () => {
    expectInvalid(
      () => decode({ data: [[1, 2], [3]] }),
      'tensor "in"',
      "data[1] is 1 elements, expected an array of 2 (shape [2,2])",
    );
    expectInvalid(
      () => decode({ data: [[1, 2], 3] }),
      "data[1] is number 3, expected an array of 2",
    );
    expectInvalid(
      () =>
        decode({
          data: [
            [1, [2]],
            [3, 4],
          ],
        }),
      "data[0][1] is an array, expected a value (shape [2,2])",
    );
  });

  it("walks data nested thousands of levels deep without overflowing the stack", () => {
    const depth = 20_000;
    const deep = (leaf: string) => JSON.parse(`${"[".repeat(depth)}${leaf}${"]".repeat(depth)}`);
    const shape = Array.from({ length: depth }, () => 1);
    const tensor = decodeRestTensor({ name: "deep", datatype: "FP32", shape, data: deep("1") });
    expect(decodeTensorValues(tensor)).toEqual(Float32Array.of(1));
    expectInvalid(
      () => decodeRestTensor({ name: "deep", datatype: "FP32", shape, data: deep("[1]") }),
      'tensor "deep"',
      "is an array, expected a value",
    );
    expectInvalid(
      () => decodeRestTensor({ name: "deep", datatype: "FP32", shape: [1, 1], data: deep("1") }),
      "data[0][0] is an array, expected a value (shape [1,1])",
    );
  });

  it("rejects flat data of the wrong length", () => {
    expectInvalid(
      () => decode({ data: [1, 2, 3] }),
      'tensor "in"',
      "data has 3 values, expected 4 for shape [2,2]",
    );
  });

  it("rejects elements of the wrong JSON type", () => {
    expectInvalid(
      () => decode({ data: [1, 2, "3", 4] }),
      'tensor "in"',
      'data element 2 is "3", expected a JSON number',
    );
    expectInvalid(
      () => decodeRestTensor({ name: "s", datatype: "BYTES", shape: [1], data: [5] }),
      "data element 0 is number 5, expected a JSON string",
    );
    expectInvalid(
      () => decodeRestTensor({ name: "b", datatype: "BOOL", shape: [1], data: [1] }),
      "data element 0 is number 1, expected a JSON boolean",
    );
    expectInvalid(
      () => decodeRestTensor({ name: "f", datatype: "FP32", shape: [1], data: ["nan"] }),
      'data element 0 is "nan", expected a JSON number or "NaN"',
    );
  });

  it("rejects INT64 numbers that JSON.parse has already rounded", () => {
    expectInvalid(
      () =>
        decodeRestTensor(
          overTheWire({ name: "i", datatype: "INT64", shape: [1], data: [2 ** 60] }),
        ),
      'tensor "i"',
      `data element 0 is number ${2 ** 60}`,
      "safe-integer JSON number or a decimal integer string",
    );
  });

  it("rejects a malformed tensor object", () => {
    expectInvalid(() => decodeRestTensor([1]), "a REST tensor is an array, expected a JSON object");
    expectInvalid(() => decode({ name: 3 }), "name is number 3, expected a non-empty string");
    expectInvalid(
      () => decode({ datatype: "FLOAT" }),
      'tensor "in"',
      'datatype is "FLOAT", expected a KServe datatype',
    );
    expectInvalid(
      () => decode({ shape: "2" }),
      'tensor "in"',
      'shape is "2", expected an array of numbers',
    );
    expectInvalid(
      () => decode({ shape: [2, -2] }),
      "dimension 1 is -2, expected a non-negative integer",
    );
    expectInvalid(() => decode({ data: "1,2,3,4" }), 'data is "1,2,3,4", expected an array');
  });

  it("rejects inconsistent binary data", () => {
    const part = new Uint8Array(16);
    expectInvalid(() => decode({ data: [1, 2, 3, 4] }, part), "has both JSON data and binary data");
    expectInvalid(
      () => decode({ parameters: { binary_data_size: 8 } }, part),
      "binary data is 16 bytes, expected binary_data_size 8",
    );
    expectInvalid(
      () => decode({ parameters: { binary_data_size: 16 } }),
      "declares binary_data_size 16, expected its binary data",
    );
    expectInvalid(
      () => decode({ parameters: { binary_data_size: -1 } }, part),
      "parameters.binary_data_size is number -1, expected a non-negative integer",
    );
    expectInvalid(() => decode({}, new Uint8Array(12)), "data is 12 bytes, expected 16");
  });

  it("refuses BYTES output that is not UTF-8 instead of mangling it", () => {
    const tensor = encodeTensor({
      name: "raw",
      datatype: "BYTES",
      shape: [1],
      values: [Uint8Array.of(0xff)],
    });
    expectInvalid(
      () => encodeRestTensor(tensor),
      'tensor "raw"',
      "BYTES element 0 is not valid UTF-8",
      "binary_data",
    );
    expect(encodeRestTensor(tensor, { binaryData: true }).parameters).toEqual({
      binary_data_size: 5,
    });
  });
});
