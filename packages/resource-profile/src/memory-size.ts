import { Decimal } from "./decimal.js";
import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";

/** A memory size: human text (`"512mb"`, `"1.5 g"`, `"1024"`) or a whole number of bytes. */
export type MemorySizeInput = string | number | bigint;

/** Flink's `MemorySize.MemoryUnit` spellings, all powers of 1024. */
const UNITS: ReadonlyMap<string, bigint> = new Map([
  ["", 1n],
  ["b", 1n],
  ["bytes", 1n],
  ["k", 1024n],
  ["kb", 1024n],
  ["kibibytes", 1024n],
  ["m", 1024n ** 2n],
  ["mb", 1024n ** 2n],
  ["mebibytes", 1024n ** 2n],
  ["g", 1024n ** 3n],
  ["gb", 1024n ** 3n],
  ["gibibytes", 1024n ** 3n],
  ["t", 1024n ** 4n],
  ["tb", 1024n ** 4n],
  ["tebibytes", 1024n ** 4n],
]);

const UNIT_HINT = "units are b, k/kb, m/mb, g/gb, t/tb (powers of 1024, case-insensitive)";

const SIZE_TEXT = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/;

/**
 * Parses a human memory size the way Flink's `MemorySize.parse` does (powers of 1024, case-
 * insensitive units, optional space), extended to decimal amounts as long as they come out as
 * whole bytes: `"1.5g"` is 1610612736 bytes, `"0.3k"` is an error.
 */
export function parseMemorySize(text: string, field = "memory size"): bigint {
  const normalized = text.trim().toLowerCase();
  const match = SIZE_TEXT.exec(normalized);
  if (match === null) {
    const reason =
      normalized === ""
        ? "it is empty"
        : /^\d/.test(normalized)
          ? UNIT_HINT
          : "it must start with a non-negative number";
    throw invalid(field, text, reason);
  }
  const [, amount = "", unit = ""] = match;
  const multiplier = UNITS.get(unit);
  if (multiplier === undefined) {
    throw invalid(field, text, `unknown unit "${unit}"; ${UNIT_HINT}`);
  }
  const bytes = new Decimal(amount).times(multiplier.toString());
  if (!bytes.eq(bytes.round(0, Decimal.roundDown))) {
    throw invalid(
      field,
      text,
      `it is ${bytes.toFixed()} bytes, not a whole number; use a smaller unit`,
    );
  }
  return BigInt(bytes.toFixed());
}

/** Accepts any `MemorySizeInput` and returns whole bytes, naming `field` when it is invalid. */
export function toMemoryBytes(field: string, input: MemorySizeInput): bigint {
  if (typeof input === "string") return parseMemorySize(input, field);
  if (typeof input === "bigint" && input >= 0n) return input;
  if (typeof input === "number" && Number.isSafeInteger(input) && input >= 0) return BigInt(input);
  throw invalid(field, String(input), "a number of bytes must be a non-negative safe integer");
}

const DISPLAY_UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ["tb", 1024n ** 4n],
  ["gb", 1024n ** 3n],
  ["mb", 1024n ** 2n],
  ["kb", 1024n],
];

/**
 * Formats bytes with the largest unit that shows them exactly in at most three decimals
 * (`"512 mb"`, `"1.5 gb"`), else as `"<n> bytes"`; `parseMemorySize` reads every result back.
 */
export function formatMemorySize(bytes: bigint): string {
  for (const [unit, size] of DISPLAY_UNITS) {
    if (bytes >= size && (bytes * 1000n) % size === 0n) {
      return `${new Decimal(bytes.toString()).div(size.toString()).toFixed()} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

function invalid(field: string, value: string, reason: string): ResourceProfileError {
  return new ResourceProfileError(
    ResourceProfileErrorCode.InvalidMemorySize,
    `${field}: ${JSON.stringify(value)} is not a valid memory size: ${reason}`,
  );
}
