import type { TensorSpec } from "../backend.js";
import type { Tensor } from "../tensor.js";
import { byteSize } from "./byte-size.js";
import { assertBytesFraming } from "./bytes-elements.js";
import { elementByteSize, type FixedDatatype, isDatatype } from "./datatype-info.js";
import { elementCount } from "./element-count.js";
import { describeValue, formatShape, invalidArgument } from "./invalid-argument.js";

/** Checks that fixed-size data holds exactly the shape's elements. */
export function assertFixedByteLength(
  datatype: FixedDatatype,
  shape: readonly number[],
  data: Uint8Array,
  tensorName: string,
): void {
  const expected = byteSize(datatype, shape, tensorName);
  if (data.length !== expected) {
    throw invalidArgument(
      tensorName,
      `data is ${data.length} bytes, expected ${expected} (shape ${formatShape(shape)} of ${datatype}, ${elementByteSize(datatype)} bytes each)`,
    );
  }
}

/** BOOL is one byte per element holding 0 or 1; any other byte is a malformed tensor. */
export function assertBoolBytes(data: Uint8Array, tensorName: string): void {
  const index = data.findIndex((byte) => byte > 1);
  if (index !== -1) {
    throw invalidArgument(
      tensorName,
      `BOOL element ${index} is byte ${data[index]}, expected 0 or 1`,
    );
  }
}

/**
 * Checks that a tensor is well formed: a known datatype, a valid shape, and data that holds
 * exactly the shape's elements (BYTES: every element framed inside the data, nothing after).
 */
export function validateTensor(tensor: Tensor): void {
  const { name, datatype, shape, data } = tensor;
  if (!isDatatype(datatype)) {
    throw invalidArgument(
      name,
      `datatype is ${describeValue(datatype)}, expected a KServe datatype`,
    );
  }
  if (datatype === "BYTES") {
    assertBytesFraming(data, elementCount(shape, name), name);
    return;
  }
  assertFixedByteLength(datatype, shape, data, name);
  if (datatype === "BOOL") assertBoolBytes(data, name);
}

/**
 * Checks a tensor against the model's metadata for it: name, datatype, rank and every fixed
 * dimension (`-1` in the spec matches any size), then the tensor itself (`validateTensor`).
 * Names compare exactly: resolving a request's name to a spec (Flink upper-cases names) is
 * the caller's job.
 */
export function validateAgainstSpec(tensor: Tensor, spec: TensorSpec): void {
  const { name, datatype, shape } = tensor;
  if (name !== spec.name) {
    throw invalidArgument(
      name,
      `name does not match the model's tensor: expected "${spec.name}", got "${name}"`,
    );
  }
  if (datatype !== spec.datatype) {
    throw invalidArgument(name, `datatype is ${datatype}, expected ${spec.datatype}`);
  }
  if (shape.length !== spec.shape.length) {
    throw invalidArgument(
      name,
      `shape ${formatShape(shape)} has rank ${shape.length}, expected rank ${spec.shape.length} (model shape ${formatShape(spec.shape)})`,
    );
  }
  spec.shape.forEach((expected, axis) => {
    if (expected !== -1 && shape[axis] !== expected) {
      throw invalidArgument(
        name,
        `shape ${formatShape(shape)} dimension ${axis} is ${shape[axis]}, expected ${expected} (model shape ${formatShape(spec.shape)})`,
      );
    }
  });
  validateTensor(tensor);
}
