/**
 * IEEE 754 binary16 (FP16) and bfloat16 (BF16) ⇄ JS number. Node 20 has no Float16Array, so
 * both are converted through their 16-bit patterns. Both formats are "binary floats with a
 * sign bit, e exponent bits and m mantissa bits", so one rounding routine serves both.
 */
interface MinifloatFormat {
  readonly mantissaBits: number;
  readonly exponentBias: number;
  /** The quiet NaN pattern emitted for any NaN input. */
  readonly nan: number;
}

const FP16: MinifloatFormat = { mantissaBits: 10, exponentBias: 15, nan: 0x7e00 };
const BF16: MinifloatFormat = { mantissaBits: 7, exponentBias: 127, nan: 0x7fc0 };

const SIGN_BIT = 0x8000;

// Reused to read a double's exponent field without allocating per call.
const scratch = new DataView(new ArrayBuffer(8));

function binaryExponent(magnitude: number): number {
  scratch.setFloat64(0, magnitude);
  return ((scratch.getUint16(0) >> 4) & 0x7ff) - 1023;
}

/** Rounds a non-negative number to an integer, ties to even. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1)) return floor + 1;
  return floor;
}

/**
 * Rounds a double straight to the format (round to nearest, ties to even). Going through
 * float32 first would round twice and be wrong next to ties.
 */
function toBits(value: number, format: MinifloatFormat): number {
  const { mantissaBits, exponentBias } = format;
  if (Number.isNaN(value)) return format.nan;
  const sign = value < 0 || Object.is(value, -0) ? SIGN_BIT : 0;
  const infinity = (2 * exponentBias + 1) << mantissaBits;
  const magnitude = Math.abs(value);
  // Subnormals share the smallest normal exponent; they just lack the leading 1.
  const exponent = Math.max(binaryExponent(magnitude), 1 - exponentBias);
  if (exponent > exponentBias) return infinity | sign;
  // Scaling by a power of two is exact: `scaled` is the value in units of the last mantissa
  // bit. Adding the rounded mantissa to the exponent field lets a round-up carry into the
  // next exponent (or into infinity) by itself.
  const scaled = magnitude * 2 ** (mantissaBits - exponent);
  return (((exponent + exponentBias - 1) << mantissaBits) + roundHalfEven(scaled)) | sign;
}

function fromBits(bits: number, format: MinifloatFormat): number {
  const { mantissaBits, exponentBias } = format;
  const exponentMask = 2 * exponentBias + 1;
  const sign = bits & SIGN_BIT ? -1 : 1;
  const exponent = (bits >> mantissaBits) & exponentMask;
  const mantissa = bits & ((1 << mantissaBits) - 1);
  if (exponent === exponentMask)
    return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  if (exponent === 0) return sign * mantissa * 2 ** (1 - exponentBias - mantissaBits);
  return sign * ((1 << mantissaBits) + mantissa) * 2 ** (exponent - exponentBias - mantissaBits);
}

/** The FP16 bit pattern nearest to `value` (ties to even; overflow to ±Inf; NaN → 0x7E00). */
export function numberToFloat16Bits(value: number): number {
  return toBits(value, FP16);
}

/** The value of an FP16 bit pattern. */
export function float16BitsToNumber(bits: number): number {
  return fromBits(bits, FP16);
}

/** The BF16 bit pattern nearest to `value` (ties to even; overflow to ±Inf; NaN → 0x7FC0). */
export function numberToBfloat16Bits(value: number): number {
  return toBits(value, BF16);
}

/** The value of a BF16 bit pattern. */
export function bfloat16BitsToNumber(bits: number): number {
  return fromBits(bits, BF16);
}
