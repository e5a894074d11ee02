import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  contentsFieldOf,
  contentsToTensorData,
  encodeTensor,
  tensorDataToContents,
} from "../src/codec/index.js";
import type { Datatype } from "../src/tensor.js";
import { expectInvalid, tensorArb } from "./codec-helpers.js";

const withContents = fc.constantFrom<Datatype>(
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP32",
  "FP64",
  "BYTES",
);

describe("typed contents", () => {
  it.each([
    ["BOOL", "boolContents"],
    ["INT8", "intContents"],
    ["INT32", "intContents"],
    ["UINT16", "uintContents"],
    ["UINT64", "uint64Contents"],
    ["INT64", "int64Contents"],
    ["FP32", "fp32Contents"],
    ["FP64", "fp64Contents"],
    ["BYTES", "bytesContents"],
    ["FP16", undefined],
    ["BF16", undefined],
  ] as const)("%s travels in %s", (datatype, field) => {
    expect(contentsFieldOf(datatype)).toBe(field);
  });

  it("round-trips raw data through contents for every datatype that has a field", () => {
    fc.assert(
      fc.property(tensorArb(withContents), (tensor) => {
        const contents = tensorDataToContents(tensor);
        const field = contentsFieldOf(tensor.datatype);
        for (const [key, list] of Object.entries(contents)) {
          if (key !== field) expect(list).toEqual([]);
        }
        const data = contentsToTensorData(tensor.datatype, tensor.shape, contents, tensor.name);
        expect(data).toEqual(tensor.data);
      }),
    );
  });

  it("fills the datatype's field with plain values", () => {
    const t = encodeTensor({
      name: "ids",
      datatype: "INT64",
      shape: [2],
      values: [1n, -(2n ** 62n)],
    });
    expect(tensorDataToContents(t).int64Contents).toEqual([1n, -(2n ** 62n)]);
    const data = contentsToTensorData("INT16", [3], { intContents: [1, -1, 2] }, "s");
    expect([...data]).toEqual([1, 0, 0xff, 0xff, 2, 0]);
  });

  it("rejects FP16 and BF16, which KServe can only send raw", () => {
    for (const datatype of ["FP16", "BF16"] as const) {
      expectInvalid(
        () => contentsToTensorData(datatype, [1], { fp32Contents: [1] }, "half"),
        'tensor "half"',
        `${datatype} has no InferTensorContents field`,
        "raw_input_contents",
      );
      const tensor = encodeTensor({ name: "half", datatype, shape: [1], values: [1] });
      expectInvalid(
        () => tensorDataToContents(tensor),
        `${datatype} has no InferTensorContents field`,
      );
    }
  });

  it("rejects a field whose count does not match the shape, naming the field", () => {
    expectInvalid(
      () => contentsToTensorData("INT32", [2, 2], { intContents: [1, 2, 3] }, "m"),
      'tensor "m"',
      "intContents has 3 values, expected 4 for shape [2,2] of INT32",
    );
    expectInvalid(
      () => contentsToTensorData("FP32", [2], { fp64Contents: [1, 2] }, "m"),
      "fp32Contents has 0 values, expected 2",
    );
  });

  it("rejects values out of the datatype's range", () => {
    expectInvalid(
      () => contentsToTensorData("UINT8", [1], { uintContents: [300] }, "u"),
      'tensor "u"',
      "element 0 is number 300",
    );
  });
});
