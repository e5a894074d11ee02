import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { formatMemorySize, parseMemorySize, ResourceProfileErrorCode } from "../src/index.js";
import { catchError } from "./catch-error.js";

describe("parseMemorySize", () => {
  test.each([
    ["1024", 1024n],
    ["0", 0n],
    ["64k", 65_536n],
    ["64 KB", 65_536n],
    ["512mb", 536_870_912n],
    ["512m", 536_870_912n],
    ["2 gb", 2_147_483_648n],
    ["1.5g", 1_610_612_736n],
    ["1T", 1_099_511_627_776n],
    ["3tb", 3_298_534_883_328n],
    ["100 b", 100n],
    ["100 bytes", 100n],
    ["2 mebibytes", 2_097_152n],
    ["  7g  ", 7n * 1024n ** 3n],
  ])("%j is %s bytes (powers of 1024, like Flink's MemorySize)", (text, bytes) => {
    expect(parseMemorySize(text)).toBe(bytes);
  });

  test.each([
    ["", /is empty/],
    ["-1g", /must start with a non-negative number/],
    ["mb", /must start with a non-negative number/],
    ["12 parsecs", /unknown unit "parsecs"/],
    ["1.5.5g", /units are b, k\/kb/],
    ["0.3k", /307.2 bytes, not a whole number/],
    ["1.5", /1.5 bytes, not a whole number/],
  ])("%j is rejected naming the value and the reason", (text, reason) => {
    const error = catchError(() => parseMemorySize(text, "taskmanager.memory.task.heap.size"));
    expect(error.code).toBe(ResourceProfileErrorCode.InvalidMemorySize);
    expect(error.message).toContain("taskmanager.memory.task.heap.size");
    expect(error.message).toContain(JSON.stringify(text));
    expect(error.message).toMatch(reason);
  });
});

describe("formatMemorySize", () => {
  test.each([
    [0n, "0 bytes"],
    [1023n, "1023 bytes"],
    [1024n, "1 kb"],
    [536_870_912n, "512 mb"],
    [1_610_612_736n, "1.5 gb"],
    [1_099_511_627_776n, "1 tb"],
    [1025n, "1025 bytes"],
  ])("%s bytes read %j", (bytes, text) => {
    expect(formatMemorySize(bytes)).toBe(text);
  });

  test("parseMemorySize reads back every formatted size exactly", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 60n }), (bytes) => {
        expect(parseMemorySize(formatMemorySize(bytes))).toBe(bytes);
      }),
    );
  });

  test("a size written with any unit parses to amount times the unit", () => {
    const units = [
      ["k", 1n],
      ["m", 2n],
      ["g", 3n],
      ["t", 4n],
    ] as const;
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        fc.constantFrom(...units),
        (amount, [unit, power]) => {
          expect(parseMemorySize(`${amount}${unit}`)).toBe(BigInt(amount) * 1024n ** power);
          expect(parseMemorySize(`${amount} ${unit.toUpperCase()}B`)).toBe(
            BigInt(amount) * 1024n ** power,
          );
        },
      ),
    );
  });
});
