import { decodeTensorValues, encodeTensor, type Tensor } from "@gpu-sidecar/sidecar-core";
import { describe, expect, it } from "vitest";
import { encodePadElement, padAxis, unpadAxis } from "../src/batching/input-padding.js";
import { createShapeKeyFunction } from "../src/batching/shape-key.js";

function int16(shape: number[], values: number[]): Tensor {
  return encodeTensor({ name: "t", datatype: "INT16", shape, values });
}

const values = (tensor: Tensor) => Array.from(decodeTensorValues({ ...tensor, datatype: "INT16" }));

describe("padding along an axis", () => {
  // Shape [2, 2, 2]: two rows, length 2, two features each.
  const tensor = int16([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);

  it("pads a middle axis with the pad element after each row's own positions", () => {
    const padded = padAxis(tensor, 1, 3, encodePadElement("INT16", -1, "t"));
    expect(padded.shape).toEqual([2, 3, 2]);
    expect(values(padded)).toEqual([1, 2, 3, 4, -1, -1, 5, 6, 7, 8, -1, -1]);
  });

  it("pads the last axis with zeros", () => {
    const padded = padAxis(tensor, 2, 3, encodePadElement("INT16", 0, "t"));
    expect(values(padded)).toEqual([1, 2, 0, 3, 4, 0, 5, 6, 0, 7, 8, 0]);
  });

  it("un-pads back to the original", () => {
    const padded = padAxis(tensor, 1, 4, encodePadElement("INT16", 9, "t"));
    const restored = unpadAxis(padded, 1, 2, 2);
    expect(restored.shape).toEqual([2, 2, 2]);
    expect(values(restored)).toEqual(values(tensor));
  });

  it("returns the tensor itself when the length already fits", () => {
    expect(padAxis(tensor, 1, 2, new Uint8Array(2))).toBe(tensor);
    expect(unpadAxis(tensor, 1, 2, 2)).toBe(tensor);
  });

  it("encodes a pad value the datatype cannot hold as INVALID_ARGUMENT", () => {
    expect(() => encodePadElement("UINT8", 300, "pad")).toThrowError(/tensor "pad"/);
    expect(Array.from(encodePadElement("BOOL", 1, "pad"))).toEqual([1]);
  });
});

describe("shape keys", () => {
  it("keys only the variable non-batch axes that are not padded", () => {
    const key = createShapeKeyFunction(
      [
        { name: "a", datatype: "FP32", shape: [-1, -1, 3] },
        { name: "b", datatype: "FP32", shape: [-1, -1, -1] },
      ],
      [undefined, { inputIndex: 1, axis: 1, element: new Uint8Array(4), maxLength: undefined }],
      true,
    );
    const tensor = (name: string, shape: number[]): Tensor => ({
      name,
      datatype: "FP32",
      shape,
      data: new Uint8Array(0),
    });
    const one = key([tensor("a", [1, 5, 3]), tensor("b", [1, 7, 2])]);
    expect(key([tensor("a", [4, 5, 3]), tensor("b", [4, 9, 2])])).toBe(one);
    expect(key([tensor("a", [1, 6, 3]), tensor("b", [1, 7, 2])])).not.toBe(one);
    expect(key([tensor("a", [1, 5, 3]), tensor("b", [1, 7, 3])])).not.toBe(one);
  });

  it("gives every request the same key when nothing varies", () => {
    const key = createShapeKeyFunction([{ name: "a", datatype: "FP32", shape: [-1, 3] }], [], true);
    expect(key([])).toBe("");
  });
});
