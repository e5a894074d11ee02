import fc from "fast-check";
import { expect } from "vitest";
import { bfloat16BitsToNumber, float16BitsToNumber } from "../src/codec/index.js";
import { SidecarError } from "../src/sidecar-error.js";
import { DATATYPES, type Datatype, type Tensor } from "../src/tensor.js";

/** Element sizes written out independently of the code under test. */
export const SIZES: Record<Exclude<Datatype, "BYTES">, number> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  BF16: 2,
  FP32: 4,
  FP64: 8,
};

export const datatypeArb = fc.constantFrom(...DATATYPES);

/** Small shapes, including scalars and zero dimensions. */
export const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });

/** The test's own BYTES framing, so codec output is checked against a second implementation. */
export function frame(elements: readonly Uint8Array[]): Uint8Array {
  const out: number[] = [];
  for (const element of elements) {
    const n = element.length;
    out.push(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24, ...element);
  }
  return Uint8Array.from(out);
}

function isNaNElement(datatype: Datatype, view: DataView, offset: number): boolean {
  switch (datatype) {
    case "FP16":
      return Number.isNaN(float16BitsToNumber(view.getUint16(offset, true)));
    case "BF16":
      return Number.isNaN(bfloat16BitsToNumber(view.getUint16(offset, true)));
    case "FP32":
      return Number.isNaN(view.getFloat32(offset, true));
    case "FP64":
      return Number.isNaN(view.getFloat64(offset, true));
    default:
      return false;
  }
}

/**
 * Makes random bytes a valid tensor body: BOOL bytes become 0/1 and NaN floats become 0
 * (NaN payloads do not survive a trip through a JS number, every other pattern does).
 */
function canonical(datatype: Exclude<Datatype, "BYTES">, generated: Uint8Array): Uint8Array {
  if (datatype === "BOOL") return generated.map((byte) => byte & 1);
  // A copy: fast-check shrinks from the generated value, which must stay untouched.
  const bytes = generated.slice();
  const size = SIZES[datatype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.length; offset += size) {
    if (isNaNElement(datatype, view, offset)) bytes.fill(0, offset, offset + size);
  }
  return bytes;
}

export interface DataOptions {
  /** BYTES elements are UTF-8 text (needed for the REST JSON form). */
  readonly utf8?: boolean;
}

/** Valid raw data for `count` elements of a datatype. */
export function dataArb(
  datatype: Datatype,
  count: number,
  options: DataOptions = {},
): fc.Arbitrary<Uint8Array> {
  if (datatype === "BYTES") {
    const element = options.utf8
      ? fc.string({ unit: "binary", maxLength: 5 }).map((text) => new TextEncoder().encode(text))
      : fc.uint8Array({ maxLength: 6 });
    return fc.array(element, { minLength: count, maxLength: count }).map(frame);
  }
  const length = count * SIZES[datatype];
  return fc
    .uint8Array({ minLength: length, maxLength: length })
    .map((bytes) => canonical(datatype, bytes));
}

export function count(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** A valid tensor of a given (or any) datatype and a random shape. */
export function tensorArb(
  datatypes: fc.Arbitrary<Datatype> = datatypeArb,
  options: DataOptions = {},
): fc.Arbitrary<Tensor> {
  return fc
    .record({
      datatype: datatypes,
      shape: shapeArb,
      name: fc.string({ minLength: 1, maxLength: 8 }),
    })
    .chain(({ datatype, shape, name }) =>
      dataArb(datatype, count(shape), options).map((data) => ({ name, datatype, shape, data })),
    );
}

/** Tensors that could be batched together: one name, datatype and row shape. */
export const batchPartsArb: fc.Arbitrary<Tensor[]> = fc
  .record({
    datatype: datatypeArb,
    rowShape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    rowCounts: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }),
  })
  .chain(({ datatype, rowShape, rowCounts }) =>
    fc.tuple(
      ...rowCounts.map((rows) =>
        dataArb(datatype, rows * count(rowShape)).map(
          (data): Tensor => ({ name: "batch", datatype, shape: [rows, ...rowShape], data }),
        ),
      ),
    ),
  );

/** Asserts an INVALID_ARGUMENT SidecarError whose message contains every fragment. */
export function expectInvalid(action: () => unknown, ...fragments: string[]): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(SidecarError);
  const error = thrown as SidecarError;
  expect(error.code).toBe("INVALID_ARGUMENT");
  for (const fragment of fragments) expect(error.message).toContain(fragment);
}
