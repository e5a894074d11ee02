import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createResourceProfile, ResourceProfile } from "../src/index.js";

/** Decimal text with up to 8 places, e.g. "12.0034", built from an integer and a scale. */
const decimalText = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 8 }))
  .map(([units, scale]) => toDecimalText(units, scale));

function toDecimalText(units: bigint, scale: number): string {
  if (scale === 0) return units.toString();
  const digits = units.toString().padStart(scale + 1, "0");
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const bytes = fc.bigInt({ min: 0n, max: 1n << 45n });
const names = ["gpu", "fpga", "tpu"] as const;

const specified = fc
  .record({
    cpuCores: decimalText,
    taskHeapMemory: bytes,
    taskOffHeapMemory: bytes,
    managedMemory: bytes,
    networkMemory: bytes,
    extendedResources: fc.dictionary(fc.constantFrom(...names), decimalText),
  })
  .map((spec) => createResourceProfile(spec));

const anyProfile = fc.oneof(
  { arbitrary: specified, weight: 8 },
  { arbitrary: fc.constant(ResourceProfile.UNKNOWN), weight: 1 },
  { arbitrary: fc.constant(ResourceProfile.ANY), weight: 1 },
);

/** Few distinct values, so that random pairs are often equal or comparable. */
const small = fc
  .record({
    cpuCores: fc.constantFrom("0", "0.5", "1"),
    taskHeapMemory: fc.constantFrom(0n, 1n),
    extendedResources: fc.dictionary(fc.constantFrom("gpu"), fc.constantFrom("0", "0.25")),
  })
  .map((spec) => createResourceProfile(spec));

const smallOrSpecial = fc.oneof(
  { arbitrary: small, weight: 8 },
  { arbitrary: fc.constant(ResourceProfile.UNKNOWN), weight: 1 },
  { arbitrary: fc.constant(ResourceProfile.ANY), weight: 1 },
);

describe("merge and subtract", () => {
  test("subtract undoes merge", () => {
    fc.assert(
      fc.property(specified, specified, (a, b) => {
        expect(a.merge(b).subtract(b).equals(a)).toBe(true);
        expect(a.merge(b).subtract(a).equals(b)).toBe(true);
      }),
    );
  });

  test("merge is commutative, also with UNKNOWN and ANY", () => {
    fc.assert(
      fc.property(anyProfile, anyProfile, (a, b) => {
        expect(a.merge(b).equals(b.merge(a))).toBe(true);
      }),
    );
  });

  test("merge is associative, also with UNKNOWN and ANY", () => {
    fc.assert(
      fc.property(anyProfile, anyProfile, anyProfile, (a, b, c) => {
        expect(
          a
            .merge(b)
            .merge(c)
            .equals(a.merge(b.merge(c))),
        ).toBe(true);
      }),
    );
  });

  test("ZERO is the identity of merge", () => {
    fc.assert(
      fc.property(specified, (a) => {
        expect(a.merge(ResourceProfile.ZERO).equals(a)).toBe(true);
      }),
    );
  });

  test("a merge covers both parts", () => {
    fc.assert(
      fc.property(specified, specified, (a, b) => {
        expect(a.merge(b).allFieldsNoLessThan(a)).toBe(true);
        expect(a.merge(b).allFieldsNoLessThan(b)).toBe(true);
      }),
    );
  });
});

describe("multiply and divide", () => {
  test("multiply(n) is n-fold merge", () => {
    fc.assert(
      fc.property(specified, fc.integer({ min: 0, max: 6 }), (a, n) => {
        let sum = ResourceProfile.ZERO;
        for (let i = 0; i < n; i += 1) sum = sum.merge(a);
        expect(a.multiply(n).equals(sum)).toBe(true);
      }),
    );
  });

  test("divide(n) undoes multiply(n), and n slices never exceed the whole", () => {
    fc.assert(
      fc.property(specified, fc.integer({ min: 1, max: 64 }), (a, n) => {
        expect(a.multiply(n).divide(n).equals(a)).toBe(true);
        expect(a.allFieldsNoLessThan(a.divide(n).multiply(n))).toBe(true);
      }),
    );
  });
});

describe("allFieldsNoLessThan is a partial order", () => {
  test("reflexive", () => {
    fc.assert(
      fc.property(anyProfile, (a) => {
        expect(a.allFieldsNoLessThan(a)).toBe(true);
      }),
    );
  });

  test("antisymmetric", () => {
    fc.assert(
      fc.property(smallOrSpecial, smallOrSpecial, (a, b) => {
        if (a.allFieldsNoLessThan(b) && b.allFieldsNoLessThan(a)) {
          expect(a.equals(b)).toBe(true);
        }
      }),
    );
  });

  test("transitive on random triples", () => {
    fc.assert(
      fc.property(smallOrSpecial, smallOrSpecial, smallOrSpecial, (a, b, c) => {
        if (a.allFieldsNoLessThan(b) && b.allFieldsNoLessThan(c)) {
          expect(a.allFieldsNoLessThan(c)).toBe(true);
        }
      }),
    );
  });

  test("transitive on chains built by merging", () => {
    fc.assert(
      fc.property(specified, specified, specified, (c, x, y) => {
        const b = c.merge(x);
        const a = b.merge(y);
        expect(a.allFieldsNoLessThan(b) && b.allFieldsNoLessThan(c)).toBe(true);
        expect(a.allFieldsNoLessThan(c)).toBe(true);
      }),
    );
  });

  test("isMatching between specified profiles holds exactly for equal ones", () => {
    fc.assert(
      fc.property(small, small, (a, b) => {
        expect(a.isMatching(b)).toBe(a.equals(b));
      }),
    );
  });
});

describe("exact decimals", () => {
  test("summing arbitrary decimal GPU amounts is exact", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 8 }))),
        (amounts) => {
          // Oracle: integers scaled to 8 places, summed as bigint.
          const expected = amounts.reduce(
            (sum, [units, scale]) => sum + units * 10n ** BigInt(8 - scale),
            0n,
          );
          const total = amounts.reduce(
            (sum, [units, scale]) =>
              sum.merge(
                createResourceProfile({ extendedResources: { gpu: toDecimalText(units, scale) } }),
              ),
            ResourceProfile.ZERO,
          );
          expect(total.getExtendedResource("gpu")).toBe(canonical(toDecimalText(expected, 8)));
        },
      ),
    );
  });

  test("JSON round trip preserves every profile", () => {
    fc.assert(
      fc.property(anyProfile, (a) => {
        const back = ResourceProfile.fromJSON(JSON.parse(JSON.stringify(a)));
        expect(back.equals(a)).toBe(true);
        expect(String(back)).toBe(String(a));
      }),
    );
  });
});

/** Decimal text without trailing zeros, as profiles print it. */
function canonical(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}
