/** Every datatype of the Open Inference Protocol (KServe v2), by its wire name. */
export const DATATYPES = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "BF16",
  "FP32",
  "FP64",
  "BYTES",
] as const;

export type Datatype = (typeof DATATYPES)[number];

/**
 * A tensor as the sidecar moves it: raw row-major little-endian bytes, exactly the form of
 * `raw_input_contents` / `raw_output_contents`. BYTES elements are each a 4-byte
 * little-endian length followed by the bytes. Keeping one canonical byte form means batching
 * is a byte concatenation and a hand-off to a worker thread is a buffer transfer.
 */
export interface Tensor {
  readonly name: string;
  readonly datatype: Datatype;
  /** Dimensions, batch dimension first when the model batches. */
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}
