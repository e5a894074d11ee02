import type { Datatype } from "../tensor.js";
import { elementByteSize, type FixedDatatype, isFixedDatatype } from "./datatype-info.js";
import { elementCount } from "./element-count.js";
import { formatShape, invalidArgument } from "./invalid-argument.js";

/**
 * Bytes of raw data a tensor of this datatype and shape has. BYTES elements have no fixed
 * size, so for BYTES the answer is `undefined`: only the data's framing knows.
 */
export function byteSize(
  datatype: FixedDatatype,
  shape: readonly number[],
  tensorName?: string,
): number;
export function byteSize(
  datatype: Datatype,
  shape: readonly number[],
  tensorName?: string,
): number | undefined;
export function byteSize(
  datatype: Datatype,
  shape: readonly number[],
  tensorName?: string,
): number | undefined {
  const count = elementCount(shape, tensorName);
  if (!isFixedDatatype(datatype)) return undefined;
  const size = elementByteSize(datatype);
  if (count > Number.MAX_SAFE_INTEGER / size) {
    throw invalidArgument(
      tensorName,
      `shape ${formatShape(shape)} of ${datatype} needs more than ${Number.MAX_SAFE_INTEGER} bytes, expected at most that`,
    );
  }
  return count * size;
}
