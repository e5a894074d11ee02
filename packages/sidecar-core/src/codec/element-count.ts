import { formatShape, invalidArgument } from "./invalid-argument.js";

/**
 * The number of elements of a shape: the product of its dimensions (1 for a scalar `[]`).
 * Every dimension must be a non-negative integer and the product a safe integer, so that
 * a hostile shape cannot make a byte-size computation silently wrong.
 */
export function elementCount(shape: readonly number[], tensorName?: string): number {
  let count = 1;
  let overflowed = false;
  for (let axis = 0; axis < shape.length; axis++) {
    const dim = shape[axis];
    if (typeof dim !== "number" || !Number.isInteger(dim) || dim < 0) {
      throw invalidArgument(
        tensorName,
        `shape ${formatShape(shape)} dimension ${axis} is ${String(dim)}, expected a non-negative integer`,
      );
    }
    if (dim !== 0 && count > Number.MAX_SAFE_INTEGER / dim) overflowed = true;
    count *= dim;
  }
  // A zero dimension anywhere makes the tensor empty, whatever the other dimensions are.
  if (count === 0) return 0;
  if (overflowed || count > Number.MAX_SAFE_INTEGER) {
    throw invalidArgument(
      tensorName,
      `shape ${formatShape(shape)} has more elements than ${Number.MAX_SAFE_INTEGER}, expected at most that`,
    );
  }
  return count;
}
