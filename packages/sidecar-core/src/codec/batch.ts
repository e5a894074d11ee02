import type { Tensor } from "../tensor.js";
import { byteSize } from "./byte-size.js";
import { skipBytesElements } from "./bytes-elements.js";
import { elementCount } from "./element-count.js";
import { formatShape, invalidArgument } from "./invalid-argument.js";

/** The batch dimension (dim 0) of a tensor; a scalar has none. */
export function rowsOf(tensor: Tensor): number {
  const rows = tensor.shape[0];
  if (rows === undefined) {
    throw invalidArgument(tensor.name, "shape [] has no batch dimension, expected rank 1 or more");
  }
  return rows;
}

/**
 * Concatenates tensors of one name and datatype along dim 0, as a batch is formed from
 * requests: their non-batch dimensions must agree. Data is byte-concatenated (BYTES framing
 * included) into one allocation; a single part is returned as is. The parts' values are not
 * re-validated (that happened when each request arrived), but a fixed-size part's byte length
 * is: a view whose buffer was detached or reused since reads short, and must not run.
 */
export function concatTensors(parts: readonly Tensor[]): Tensor {
  const [first] = parts;
  if (first === undefined)
    throw invalidArgument(undefined, "no tensors to concatenate, expected at least one");
  rowsOf(first);
  if (parts.length === 1) {
    checkByteLength(first, 0);
    return first;
  }
  const { name, datatype } = first;
  const rowShape = first.shape.slice(1);
  let rows = 0;
  let length = 0;
  parts.forEach((part, index) => {
    if (part.name !== name || part.datatype !== datatype) {
      throw invalidArgument(
        name,
        `part ${index} is ${part.datatype} tensor "${part.name}", expected ${datatype} tensor "${name}"`,
      );
    }
    const partRows = rowsOf(part);
    if (
      part.shape.length !== first.shape.length ||
      rowShape.some((dim, axis) => part.shape[axis + 1] !== dim)
    ) {
      throw invalidArgument(
        name,
        `part ${index} has shape ${formatShape(part.shape)}, expected ${formatShape([partRows, ...rowShape])} (non-batch dimensions must agree)`,
      );
    }
    checkByteLength(part, index);
    rows += partRows;
    length += part.data.length;
  });
  const data = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    data.set(part.data, offset);
    offset += part.data.length;
  }
  return { name, datatype, shape: [rows, ...rowShape], data };
}

function checkByteLength(part: Tensor, index: number): void {
  const expected = byteSize(part.datatype, part.shape, part.name);
  if (expected !== undefined && part.data.length !== expected) {
    throw invalidArgument(
      part.name,
      `part ${index} has ${part.data.length} bytes of data, expected ${expected} for shape ${formatShape(part.shape)} of ${part.datatype}`,
    );
  }
}

/**
 * Splits a tensor along dim 0 into consecutive parts of `rowCounts` rows, the inverse of
 * `concatTensors` (a batch's outputs going back to its requests). Each part's data is a view
 * of the tensor's (no copies); BYTES boundaries come from one walk over the framing.
 */
export function splitTensor(tensor: Tensor, rowCounts: readonly number[]): Tensor[] {
  const { name, datatype, shape, data } = tensor;
  const rows = rowsOf(tensor);
  const rowShape = shape.slice(1);
  let total = 0;
  rowCounts.forEach((count, index) => {
    if (!Number.isInteger(count) || count < 0) {
      throw invalidArgument(
        name,
        `row count ${index} is ${count}, expected a non-negative integer`,
      );
    }
    total += count;
  });
  if (total !== rows) {
    throw invalidArgument(
      name,
      `row counts [${rowCounts.join(",")}] add up to ${total}, expected the ${rows} rows of shape ${formatShape(shape)}`,
    );
  }
  const rowElements = elementCount(rowShape, name);
  const rowBytes = byteSize(datatype, rowShape, name);
  if (rowBytes !== undefined && data.length !== rows * rowBytes) {
    throw invalidArgument(
      name,
      `data is ${data.length} bytes, expected ${rows * rowBytes} for shape ${formatShape(shape)} of ${datatype}`,
    );
  }
  let offset = 0;
  const parts = rowCounts.map((count) => {
    const end =
      rowBytes === undefined
        ? skipBytesElements(data, offset, count * rowElements, name)
        : offset + count * rowBytes;
    const part: Tensor = {
      name,
      datatype,
      shape: [count, ...rowShape],
      data: data.subarray(offset, end),
    };
    offset = end;
    return part;
  });
  if (offset !== data.length) {
    throw invalidArgument(
      name,
      `BYTES data has ${data.length - offset} bytes after its ${rows} rows, expected none`,
    );
  }
  return parts;
}
