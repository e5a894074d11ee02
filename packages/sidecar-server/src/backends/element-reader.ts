import type { Datatype } from "@gpu-sidecar/sidecar-core";

/** Datatypes whose elements read as plain numbers (FP16, BF16 and BYTES need decoding). */
export type NumericDatatype = Exclude<Datatype, "BYTES" | "FP16" | "BF16">;

export interface ElementReader {
  readonly bytes: number;
  /** Reads the element at byte `offset` (little-endian, as on the wire). */
  read(view: DataView, offset: number): number;
}

const READERS: Readonly<Record<NumericDatatype, ElementReader>> = {
  BOOL: { bytes: 1, read: (view, offset) => (view.getUint8(offset) === 0 ? 0 : 1) },
  UINT8: { bytes: 1, read: (view, offset) => view.getUint8(offset) },
  UINT16: { bytes: 2, read: (view, offset) => view.getUint16(offset, true) },
  UINT32: { bytes: 4, read: (view, offset) => view.getUint32(offset, true) },
  UINT64: { bytes: 8, read: (view, offset) => Number(view.getBigUint64(offset, true)) },
  INT8: { bytes: 1, read: (view, offset) => view.getInt8(offset) },
  INT16: { bytes: 2, read: (view, offset) => view.getInt16(offset, true) },
  INT32: { bytes: 4, read: (view, offset) => view.getInt32(offset, true) },
  INT64: { bytes: 8, read: (view, offset) => Number(view.getBigInt64(offset, true)) },
  FP32: { bytes: 4, read: (view, offset) => view.getFloat32(offset, true) },
  FP64: { bytes: 8, read: (view, offset) => view.getFloat64(offset, true) },
};

export function isNumericDatatype(datatype: Datatype): datatype is NumericDatatype {
  return Object.hasOwn(READERS, datatype);
}

export function elementReader(datatype: NumericDatatype): ElementReader {
  return READERS[datatype];
}
