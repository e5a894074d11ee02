import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bfloat16BitsToNumber,
  float16BitsToNumber,
  numberToBfloat16Bits,
  numberToFloat16Bits,
} from "../src/codec/index.js";

const formats = [
  {
    label: "FP16",
    toBits: numberToFloat16Bits,
    toNumber: float16BitsToNumber,
    max: 65504,
    infinity: 0x7c00,
  },
  {
    label: "BF16",
    toBits: numberToBfloat16Bits,
    toNumber: bfloat16BitsToNumber,
    max: 3.3895313892515355e38,
    infinity: 0x7f80,
  },
] as const;

describe("FP16 known values", () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [0.5, 0x3800],
    [2 ** -14, 0x0400],
    [2 ** -24, 0x0001],
    [-(2 ** -24), 0x8001],
    [2 ** -14 - 2 ** -24, 0x03ff],
    [0, 0x0000],
    [-0, 0x8000],
    [Number.POSITIVE_INFINITY, 0x7c00],
    [Number.NEGATIVE_INFINITY, 0xfc00],
  ])("%d ⇄ 0x%s", (value, bits) => {
    expect(numberToFloat16Bits(value)).toBe(bits);
    expect(Object.is(float16BitsToNumber(bits), value)).toBe(true);
  });

  it("maps NaN to the quiet NaN 0x7E00 and every NaN pattern back to NaN", () => {
    expect(numberToFloat16Bits(Number.NaN)).toBe(0x7e00);
    expect(float16BitsToNumber(0x7e00)).toBeNaN();
    expect(float16BitsToNumber(0x7c01)).toBeNaN();
    expect(float16BitsToNumber(0xffff)).toBeNaN();
  });

  it("overflows to infinity from the halfway point above 65504", () => {
    expect(numberToFloat16Bits(65519.99)).toBe(0x7bff);
    expect(numberToFloat16Bits(65520)).toBe(0x7c00);
    expect(numberToFloat16Bits(-1e6)).toBe(0xfc00);
  });

  it("rounds ties to even and underflows to signed zero", () => {
    expect(numberToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(numberToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(numberToFloat16Bits(2 ** -25)).toBe(0x0000);
    expect(numberToFloat16Bits(-(2 ** -25))).toBe(0x8000);
    expect(numberToFloat16Bits(3 * 2 ** -25)).toBe(0x0002);
  });

  it("rounds from the double once: no double rounding through float32", () => {
    // Via float32 this becomes exactly 1 + 2^-11, a tie that would round down to 0x3C00.
    expect(numberToFloat16Bits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
  });
});

describe("BF16 known values", () => {
  it.each([
    [1, 0x3f80],
    [-2, 0xc000],
    [Number.POSITIVE_INFINITY, 0x7f80],
    [-0, 0x8000],
    [2 ** -133, 0x0001],
  ])("%d ⇄ 0x%s", (value, bits) => {
    expect(numberToBfloat16Bits(value)).toBe(bits);
    expect(Object.is(bfloat16BitsToNumber(bits), value)).toBe(true);
  });

  it("maps NaN to 0x7FC0 and overflows past the largest finite value", () => {
    expect(numberToBfloat16Bits(Number.NaN)).toBe(0x7fc0);
    expect(bfloat16BitsToNumber(0x7fc0)).toBeNaN();
    expect(numberToBfloat16Bits(3.4e38)).toBe(0x7f80);
    expect(numberToBfloat16Bits(Number.MAX_VALUE)).toBe(0x7f80);
  });

  it("equals float32 truncation with round-to-nearest-even for every float32 input", () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (pattern) => {
        u32[0] = pattern;
        const value = f32[0] as number;
        fc.pre(!Number.isNaN(value));
        const expected = ((pattern + 0x7fff + ((pattern >>> 16) & 1)) >>> 16) & 0xffff;
        expect(numberToBfloat16Bits(value)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe.each(formats)("$label laws", ({ toBits, toNumber, max, infinity }) => {
  it("every non-NaN bit pattern survives bits → number → bits", () => {
    const changed: number[] = [];
    for (let bits = 0; bits <= 0xffff; bits++) {
      const value = toNumber(bits);
      if (!Number.isNaN(value) && toBits(value) !== bits) changed.push(bits);
    }
    expect(changed).toEqual([]);
  });

  it("rounds to the nearest representable value, ties to the even pattern", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max, noNaN: true }), (value) => {
        const bits = toBits(value);
        const rounded = toNumber(bits);
        const below = bits > 0 ? toNumber(bits - 1) : rounded;
        const above = bits + 1 < infinity ? toNumber(bits + 1) : rounded;
        const error = Math.abs(value - rounded);
        expect(error).toBeLessThanOrEqual(Math.abs(value - below));
        expect(error).toBeLessThanOrEqual(Math.abs(value - above));
        if (error === Math.abs(value - below) && below !== rounded) expect(bits % 2).toBe(0);
        if (error === Math.abs(value - above) && above !== rounded) expect(bits % 2).toBe(0);
      }),
    );
  });

  it("is odd: negating the input sets only the sign bit", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (value) => {
        expect(toBits(-value)).toBe(toBits(value) ^ 0x8000);
      }),
    );
  });
});
