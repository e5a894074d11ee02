import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelayMs, createBackoff } from "../src/backoff.js";

const options = { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: 0.2 };

function delays(random: () => number, count: number, overrides = {}): number[] {
  const backoff = createBackoff({ ...options, ...overrides }, random);
  return Array.from({ length: count }, () => backoff.next());
}

describe("createBackoff", () => {
  it("grows by the multiplier up to the bound, without jitter at the midpoint draw", () => {
    expect(delays(() => 0.5, 7)).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it("spreads each delay by ± jitter", () => {
    expect(delays(() => 0, 3)).toEqual([80, 160, 320]);
    expect(delays(() => 0.999_999, 3)).toEqual([120, 240, 480]);
  });

  it("never exceeds maxDelayMs, even when jitter draws high at the bound", () => {
    expect(delays(() => 0.999_999, 6)).toEqual([120, 240, 480, 960, 1_000, 1_000]);
  });

  it("starts over from initialDelayMs after reset", () => {
    const backoff = createBackoff(options, () => 0.5);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it("keeps every delay within [base × (1 − jitter), min(max, base × (1 + jitter))]", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 1,
          maxLength: 60,
        }),
        (initialDelayMs, extra, multiplier, jitter, draws) => {
          const maxDelayMs = initialDelayMs + extra;
          let i = 0;
          const backoff = createBackoff(
            { initialDelayMs, maxDelayMs, multiplier, jitter },
            () => draws[i] ?? 0,
          );
          let base = initialDelayMs;
          for (i = 0; i < draws.length; i += 1) {
            const delay = backoff.next();
            expect(delay).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)));
            expect(delay).toBeLessThanOrEqual(Math.min(maxDelayMs, Math.ceil(base * (1 + jitter))));
            base = Math.min(maxDelayMs, base * multiplier);
          }
        },
      ),
    );
  });
});

describe("backoffDelayMs", () => {
  it("stays a number however many retries came before", () => {
    const options = { initialDelayMs: 5, maxDelayMs: 60 };
    expect(backoffDelayMs(options, 4000)).toBe(60);
    expect(backoffDelayMs({ ...options, initialDelayMs: 0 }, 4000)).toBe(0);
  });

  it("doubles without jitter by default", () => {
    const options = { initialDelayMs: 100, maxDelayMs: 10_000 };
    expect([0, 1, 2, 6, 7, 8].map((retry) => backoffDelayMs(options, retry))).toEqual([
      100, 200, 400, 6_400, 10_000, 10_000,
    ]);
  });
});
