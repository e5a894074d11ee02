import type { z } from "zod";

const NOUNS: Readonly<Record<string, string>> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  array: "a list",
  object: "an object of keys and values",
  record: "an object of keys and values",
};

function plural(count: number | bigint, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * Zod's messages rewritten as instructions ("expected one of …", "must be at most …"); the
 * received value is appended by the issue formatter, so no message repeats it.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "required";
      return `expected ${NOUNS[issue.expected] ?? issue.expected}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "too_small":
      if (issue.origin === "array") return `must list at least ${plural(issue.minimum, "item")}`;
      if (issue.origin === "string") return "must not be empty";
      return issue.inclusive === false
        ? `must be greater than ${issue.minimum}`
        : `must be at least ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "array") return `must list at most ${plural(issue.maximum, "item")}`;
      if (issue.origin === "string") return `must be at most ${plural(issue.maximum, "character")}`;
      return issue.inclusive === false
        ? `must be less than ${issue.maximum}`
        : `must be at most ${issue.maximum}`;
    case "invalid_format":
      return issue.format === "regex" && "pattern" in issue
        ? `must match ${String(issue.pattern)}`
        : `must be a valid ${issue.format}`;
    case "unrecognized_keys":
      return "unknown key";
    default:
      return undefined;
  }
};
