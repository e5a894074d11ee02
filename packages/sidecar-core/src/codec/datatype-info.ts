import { DATATYPES, type Datatype } from "../tensor.js";

/** Every datatype whose elements have one fixed byte size (all but BYTES). */
export type FixedDatatype = Exclude<Datatype, "BYTES">;

/** Integer datatypes that fit a JS number exactly. */
export type SmallIntegerDatatype = "UINT8" | "UINT16" | "UINT32" | "INT8" | "INT16" | "INT32";

/** Integer datatypes whose values need a bigint to be exact. */
export type BigIntegerDatatype = "UINT64" | "INT64";

const ELEMENT_SIZES: Readonly<Record<FixedDatatype, number>> = {
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

/** The typed array that holds each small integer datatype in host order. */
export const SMALL_INTEGER_ARRAYS = {
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
} as const;

/** Inclusive value range of each small integer datatype. */
export const SMALL_INTEGER_RANGES: Readonly<
  Record<SmallIntegerDatatype, readonly [min: number, max: number]>
> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
};

/** 64-bit integers are bigints so that every value is exact (a JS number stops at 2^53). */
export const BIG_INTEGER_ARRAYS = {
  UINT64: BigUint64Array,
  INT64: BigInt64Array,
} as const;

const datatypeNames = new Set<string>(DATATYPES);

/** Whether a string (e.g. from JSON) names a KServe datatype. */
export function isDatatype(value: unknown): value is Datatype {
  return typeof value === "string" && datatypeNames.has(value);
}

export function isFixedDatatype(datatype: Datatype): datatype is FixedDatatype {
  return datatype !== "BYTES";
}

/** Bytes per element of a fixed-size datatype (BOOL is one byte, 0 or 1). */
export function elementByteSize(datatype: FixedDatatype): number {
  return ELEMENT_SIZES[datatype];
}
