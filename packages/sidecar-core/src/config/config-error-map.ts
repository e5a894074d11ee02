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

/**
 * Zod's messages for the checks the config schemas use, rewritten as instructions ("expected
 * one of …", "must be at most …"). The received value is appended by the issue formatter, so
 * no message repeats it; messages set on a schema take precedence over these.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "required";
      return `expected ${NOUNS[issue.expected] ?? issue.expected}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "too_small":
      if (issue.origin === "array") {
        return `must list at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`;
      }
      if (issue.origin === "string") return "must not be empty";
      return `must be at least ${issue.minimum}`;
    case "too_big":
      return `must be at most ${issue.maximum}`;
    default:
      return undefined;
  }
};
