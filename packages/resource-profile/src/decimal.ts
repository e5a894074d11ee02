import Big from "big.js";
import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";

/** A non-negative exact decimal: `"0.25"`, `1`, `3n`. Strings are preferred: they are exact. */
export type DecimalInput = string | number | bigint;

/**
 * A private big.js constructor, so these settings never leak into other users of big.js.
 * Division keeps 16 decimals rounded toward zero, as Flink's `Resource.divide` does; `strict`
 * rejects JS numbers so every value enters as text; the exponent limits keep `toString` plain.
 */
export const Decimal = Big();
Decimal.DP = 16;
Decimal.RM = Big.roundDown;
Decimal.strict = true;
Decimal.NE = -1e6;
Decimal.PE = 1e6;

export const DECIMAL_ZERO = new Decimal("0");

const DECIMAL_TEXT = /^\d+(?:\.\d+)?$/;

/** Parses a non-negative decimal, naming `field` and the value when it is not one. */
export function toDecimal(field: string, input: DecimalInput): Big {
  const text = decimalText(input);
  if (text === undefined || !DECIMAL_TEXT.test(text)) {
    throw new ResourceProfileError(
      ResourceProfileErrorCode.InvalidArgument,
      `${field}: ${JSON.stringify(String(input))} is not a non-negative decimal number; ` +
        `write it like "1", "0.5" or "0.25"`,
    );
  }
  return new Decimal(text);
}

function decimalText(input: DecimalInput): string | undefined {
  if (typeof input === "string") return input.trim();
  if (typeof input === "bigint") return input.toString();
  if (typeof input === "number" && Number.isFinite(input)) {
    // Numbers print in exponent form below 1e-6; go through big.js's own parser for those.
    const printed = String(input);
    return /e/i.test(printed) ? new Big(printed).toFixed() : printed;
  }
  return undefined;
}

/** Plain decimal text without trailing zeros: `"0.25"`, `"3"`. */
export function formatDecimal(value: Big): string {
  return value.toFixed();
}
