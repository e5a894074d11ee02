import type { Datatype, Tensor } from "../tensor.js";
import { hostOrderArray, littleEndianBytes, type TypedArrayConstructor } from "./byte-order.js";
import { type BytesElement, decodeBytesElements, encodeBytesElements } from "./bytes-elements.js";
import {
  BIG_INTEGER_ARRAYS,
  type BigIntegerDatatype,
  SMALL_INTEGER_ARRAYS,
  SMALL_INTEGER_RANGES,
  type SmallIntegerDatatype,
} from "./datatype-info.js";
import { elementCount } from "./element-count.js";
import {
  bfloat16BitsToNumber,
  float16BitsToNumber,
  numberToBfloat16Bits,
  numberToFloat16Bits,
} from "./float16.js";
import { describeValue, formatShape, invalidArgument } from "./invalid-argument.js";
import { assertBoolBytes, assertFixedByteLength } from "./tensor-validation.js";

/**
 * What `encodeTensor` accepts for each datatype, flat in row-major order. Typed arrays and
 * plain arrays both work; 64-bit integers take bigints or safe-integer numbers; BYTES takes
 * raw bytes or strings (sent as UTF-8).
 */
export interface TensorInputValueMap {
  BOOL: ArrayLike<boolean>;
  UINT8: ArrayLike<number>;
  UINT16: ArrayLike<number>;
  UINT32: ArrayLike<number>;
  UINT64: ArrayLike<bigint | number>;
  INT8: ArrayLike<number>;
  INT16: ArrayLike<number>;
  INT32: ArrayLike<number>;
  INT64: ArrayLike<bigint | number>;
  FP16: ArrayLike<number>;
  BF16: ArrayLike<number>;
  FP32: ArrayLike<number>;
  FP64: ArrayLike<number>;
  BYTES: ArrayLike<BytesElement>;
}

/**
 * What `decodeTensorValues` returns for each datatype, flat in row-major order. Every
 * FP16 and BF16 value is exact in a Float32Array. Each is also a valid `encodeTensor` input.
 */
export interface TensorValueMap {
  BOOL: boolean[];
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Float32Array;
  BF16: Float32Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BYTES: Uint8Array[];
}

/** A tensor given as values; the `datatype` decides the accepted `values`. */
export type TensorInput = {
  [D in Datatype]: {
    readonly name: string;
    readonly datatype: D;
    readonly shape: readonly number[];
    readonly values: TensorInputValueMap[D];
  };
}[Datatype];

function invalidValue(tensorName: string, index: number, value: unknown, expected: string) {
  return invalidArgument(
    tensorName,
    `element ${index} is ${describeValue(value)}, expected ${expected}`,
  );
}

function encodeBools(values: ArrayLike<boolean>, tensorName: string): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (typeof value !== "boolean") throw invalidValue(tensorName, index, value, "a boolean");
    out[index] = value ? 1 : 0;
  }
  return out;
}

function encodeSmallIntegers(
  datatype: SmallIntegerDatatype,
  values: ArrayLike<number>,
  tensorName: string,
): Uint8Array {
  const ctor = SMALL_INTEGER_ARRAYS[datatype];
  // The caller's own typed array already holds valid values: use its memory as is.
  if (values instanceof ctor) return littleEndianBytes(values);
  const [min, max] = SMALL_INTEGER_RANGES[datatype];
  const out = new ctor(values.length);
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    // Typed array stores wrap out-of-range numbers silently; reject them instead.
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw invalidValue(
        tensorName,
        index,
        value,
        `an integer in [${min}, ${max}] for ${datatype}`,
      );
    }
    out[index] = value;
  }
  return littleEndianBytes(out);
}

function encodeBigIntegers(
  datatype: BigIntegerDatatype,
  values: ArrayLike<bigint | number>,
  tensorName: string,
): Uint8Array {
  const ctor = BIG_INTEGER_ARRAYS[datatype];
  if (values instanceof ctor) return littleEndianBytes(values);
  const out = new ctor(values.length);
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    const big =
      typeof value === "bigint"
        ? value
        : typeof value === "number" && Number.isSafeInteger(value)
          ? BigInt(value)
          : undefined;
    const fits =
      big !== undefined &&
      (datatype === "INT64" ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big)) === big;
    if (big === undefined || !fits) {
      throw invalidValue(
        tensorName,
        index,
        value,
        `a bigint or safe integer in the ${datatype} range`,
      );
    }
    out[index] = big;
  }
  return littleEndianBytes(out);
}

function encodeFloats(
  ctor: Float32ArrayConstructor | Float64ArrayConstructor,
  values: ArrayLike<number>,
  tensorName: string,
): Uint8Array {
  if (values instanceof ctor) return littleEndianBytes(values);
  const out = new ctor(values.length);
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (typeof value !== "number") throw invalidValue(tensorName, index, value, "a number");
    out[index] = value;
  }
  return littleEndianBytes(out);
}

function encodeHalfFloats(
  toBits: (value: number) => number,
  values: ArrayLike<number>,
  tensorName: string,
): Uint8Array {
  const bits = new Uint16Array(values.length);
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (typeof value !== "number") throw invalidValue(tensorName, index, value, "a number");
    bits[index] = toBits(value);
  }
  return littleEndianBytes(bits);
}

function encodeValues(input: TensorInput): Uint8Array {
  const { name } = input;
  switch (input.datatype) {
    case "BOOL":
      return encodeBools(input.values, name);
    case "UINT8":
    case "UINT16":
    case "UINT32":
    case "INT8":
    case "INT16":
    case "INT32":
      return encodeSmallIntegers(input.datatype, input.values, name);
    case "UINT64":
    case "INT64":
      return encodeBigIntegers(input.datatype, input.values, name);
    case "FP16":
      return encodeHalfFloats(numberToFloat16Bits, input.values, name);
    case "BF16":
      return encodeHalfFloats(numberToBfloat16Bits, input.values, name);
    case "FP32":
      return encodeFloats(Float32Array, input.values, name);
    case "FP64":
      return encodeFloats(Float64Array, input.values, name);
    case "BYTES":
      return encodeBytesElements(input.values, name);
  }
}

/**
 * Builds a tensor's raw little-endian data from values. When `values` is already the
 * datatype's own typed array (e.g. a Float32Array for FP32) on a little-endian host, the
 * tensor's data is a view of the same memory, not a copy: don't mutate it afterwards.
 */
export function encodeTensor(input: TensorInput): Tensor {
  const { name, datatype, shape, values } = input;
  const count = elementCount(shape, name);
  if (values.length !== count) {
    throw invalidArgument(
      name,
      `got ${values.length} values, expected ${count} for shape ${formatShape(shape)}`,
    );
  }
  return { name, datatype, shape, data: encodeValues(input) };
}

function decodeHalfFloats(bits: Uint16Array, toNumber: (bits: number) => number): Float32Array {
  const out = new Float32Array(bits.length);
  for (let index = 0; index < bits.length; index++) out[index] = toNumber(bits[index] ?? 0);
  return out;
}

type Decoders = {
  [D in Datatype]: (tensor: Tensor) => TensorValueMap[D];
};

/** Decodes fixed-size data, checked against the shape, as a host-order typed array. */
function fixedSizeDecoder<T>(
  datatype: Exclude<Datatype, "BYTES" | "BOOL">,
  ctor: TypedArrayConstructor<T>,
) {
  return (tensor: Tensor): T => {
    assertFixedByteLength(datatype, tensor.shape, tensor.data, tensor.name);
    return hostOrderArray(ctor, tensor.data);
  };
}

const fp16Bits = fixedSizeDecoder("FP16", Uint16Array);
const bf16Bits = fixedSizeDecoder("BF16", Uint16Array);

const decoders: Decoders = {
  BOOL: (tensor) => {
    assertFixedByteLength("BOOL", tensor.shape, tensor.data, tensor.name);
    assertBoolBytes(tensor.data, tensor.name);
    return Array.from(tensor.data, (byte) => byte === 1);
  },
  UINT8: fixedSizeDecoder("UINT8", Uint8Array),
  UINT16: fixedSizeDecoder("UINT16", Uint16Array),
  UINT32: fixedSizeDecoder("UINT32", Uint32Array),
  UINT64: fixedSizeDecoder("UINT64", BigUint64Array),
  INT8: fixedSizeDecoder("INT8", Int8Array),
  INT16: fixedSizeDecoder("INT16", Int16Array),
  INT32: fixedSizeDecoder("INT32", Int32Array),
  INT64: fixedSizeDecoder("INT64", BigInt64Array),
  FP16: (tensor) => decodeHalfFloats(fp16Bits(tensor), float16BitsToNumber),
  BF16: (tensor) => decodeHalfFloats(bf16Bits(tensor), bfloat16BitsToNumber),
  FP32: fixedSizeDecoder("FP32", Float32Array),
  FP64: fixedSizeDecoder("FP64", Float64Array),
  BYTES: (tensor) =>
    decodeBytesElements(tensor.data, elementCount(tensor.shape, tensor.name), tensor.name),
};

/**
 * A tensor's values, flat in row-major order, typed by its datatype (see `TensorValueMap`).
 * Numeric arrays and BYTES elements are views of `tensor.data` where alignment allows, so
 * decoding a received batch copies nothing; the data is checked against the shape first.
 */
export function decodeTensorValues<D extends Datatype>(
  tensor: Tensor & { readonly datatype: D },
): TensorValueMap[D] {
  return decoders[tensor.datatype](tensor);
}
