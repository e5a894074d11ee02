import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveVersionPolicy } from "../src/config/index.js";

const versions = fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 12 });
const ascending = (list: readonly number[]) => [...new Set(list)].sort((a, b) => a - b);

describe("resolveVersionPolicy", () => {
  it("all: every available version, ascending, once", () => {
    fc.assert(
      fc.property(versions, (available) => {
        expect(resolveVersionPolicy({ all: {} }, available)).toEqual({
          selected: ascending(available),
          missing: [],
        });
      }),
    );
  });

  it("latest n: the n highest available versions, compared as numbers", () => {
    fc.assert(
      fc.property(versions, fc.integer({ min: 1, max: 15 }), (available, n) => {
        const { selected, missing } = resolveVersionPolicy(
          { latest: { num_versions: n } },
          available,
        );
        const all = ascending(available);
        expect(selected).toEqual(all.slice(Math.max(0, all.length - n)));
        expect(selected.length).toBe(Math.min(n, all.length));
        expect(missing).toEqual([]);
      }),
    );
    expect(resolveVersionPolicy({ latest: { num_versions: 2 } }, [9, 10, 2]).selected).toEqual([
      9, 10,
    ]);
  });

  it("specific: splits the wanted versions into available and missing", () => {
    fc.assert(
      fc.property(
        versions,
        fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { minLength: 1 }),
        (available, wanted) => {
          const { selected, missing } = resolveVersionPolicy(
            { specific: { versions: wanted } },
            available,
          );
          const present = new Set(available);
          expect(selected.every((version) => present.has(version))).toBe(true);
          expect(missing.some((version) => present.has(version))).toBe(false);
          expect(ascending([...selected, ...missing])).toEqual(ascending(wanted));
          expect(selected).toEqual(ascending(selected));
        },
      ),
    );
  });
});
