import { describeValue, invalidArgument } from "./invalid-argument.js";
import { utf8ByteLength, utf8Encoder } from "./utf8.js";

/** Each BYTES element is prefixed by its length as a 4-byte little-endian unsigned integer. */
const LENGTH_PREFIX = 4;
const MAX_ELEMENT_LENGTH = 0xffffffff;

/** One BYTES element as callers give it: raw bytes, or a string sent as UTF-8. */
export type BytesElement = Uint8Array | string;

/**
 * Frames BYTES elements into one buffer. Sizes are summed first so the whole tensor is one
 * allocation; strings are UTF-8 encoded straight into it.
 */
export function encodeBytesElements(
  elements: ArrayLike<BytesElement>,
  tensorName: string,
): Uint8Array {
  let total = 0;
  for (let index = 0; index < elements.length; index++) {
    const element = elements[index];
    let length: number;
    if (typeof element === "string") length = utf8ByteLength(element);
    else if (element instanceof Uint8Array) length = element.length;
    else {
      throw invalidArgument(
        tensorName,
        `BYTES element ${index} is ${describeValue(element)}, expected a Uint8Array or a string`,
      );
    }
    if (length > MAX_ELEMENT_LENGTH) {
      throw invalidArgument(
        tensorName,
        `BYTES element ${index} is ${length} bytes, expected at most ${MAX_ELEMENT_LENGTH}`,
      );
    }
    total += LENGTH_PREFIX + length;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (let index = 0; index < elements.length; index++) {
    // Checked to be a string or a Uint8Array by the sizing pass.
    const element = elements[index] as BytesElement;
    const start = offset + LENGTH_PREFIX;
    let length: number;
    if (typeof element === "string") {
      length = utf8Encoder.encodeInto(element, out.subarray(start)).written;
    } else {
      out.set(element, start);
      length = element.length;
    }
    view.setUint32(offset, length, true);
    offset = start + length;
  }
  return out;
}

/**
 * Where the BYTES element starting at `offset` ends. Its length prefix and its bytes must
 * both lie inside `data`: a length read from the wire is never trusted.
 */
function elementEnd(view: DataView, offset: number, index: number, tensorName: string): number {
  const remaining = view.byteLength - offset;
  if (remaining < LENGTH_PREFIX) {
    throw invalidArgument(
      tensorName,
      `BYTES element ${index} length prefix at byte ${offset} runs past the data: expected ${LENGTH_PREFIX} bytes, got ${remaining}`,
    );
  }
  const length = view.getUint32(offset, true);
  if (length > remaining - LENGTH_PREFIX) {
    throw invalidArgument(
      tensorName,
      `BYTES element ${index} at byte ${offset} runs past the data: expected ${length} bytes, got ${remaining - LENGTH_PREFIX}`,
    );
  }
  return offset + LENGTH_PREFIX + length;
}

function dataViewOf(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The byte offset just past `count` BYTES elements that start at `start`, checking each
 * element's framing on the way. Batch splitting walks the framing with this once.
 */
export function skipBytesElements(
  data: Uint8Array,
  start: number,
  count: number,
  tensorName: string,
): number {
  const view = dataViewOf(data);
  let offset = start;
  for (let index = 0; index < count; index++) offset = elementEnd(view, offset, index, tensorName);
  return offset;
}

function assertNoTrailingBytes(end: number, data: Uint8Array, count: number, tensorName: string) {
  if (end !== data.length) {
    throw invalidArgument(
      tensorName,
      `BYTES data has ${data.length - end} bytes after its ${count} elements, expected none`,
    );
  }
}

/** Checks that `data` is exactly `count` well-framed BYTES elements. */
export function assertBytesFraming(data: Uint8Array, count: number, tensorName: string): void {
  assertNoTrailingBytes(skipBytesElements(data, 0, count, tensorName), data, count, tensorName);
}

/** The elements of BYTES data, as views into `data` (no copies). */
export function decodeBytesElements(
  data: Uint8Array,
  count: number,
  tensorName: string,
): Uint8Array[] {
  const view = dataViewOf(data);
  const elements: Uint8Array[] = [];
  let offset = 0;
  for (let index = 0; index < count; index++) {
    const end = elementEnd(view, offset, index, tensorName);
    elements.push(data.subarray(offset + LENGTH_PREFIX, end));
    offset = end;
  }
  assertNoTrailingBytes(offset, data, count, tensorName);
  return elements;
}
