import type { z } from "zod";
import { ConfigError } from "./config-error.js";
import { configErrorMap } from "./config-error-map.js";
import { type ConfigIssue, formatKeyPath } from "./config-issue.js";
import { valueAt } from "./key-path.js";

/** Names the source of the value at a key path (the file, or the variable or flag that set it). */
export type SourceOf = (path: readonly PropertyKey[]) => string;

function toConfigIssues(
  issue: z.core.$ZodIssue,
  input: unknown,
  sourceOf: SourceOf,
): ConfigIssue[] {
  // One issue per unknown key, so each is named with its own path and value.
  const paths =
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => [...issue.path, key])
      : [issue.path];
  return paths.map((path) => ({
    source: sourceOf(path),
    path: formatKeyPath(path),
    received: valueAt(input, path),
    message: issue.message,
  }));
}

/** Validates `input` and returns every issue found, each located by key path and source. */
export function validateConfig<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  sourceOf: SourceOf,
): { ok: true; value: z.output<Schema> } | { ok: false; issues: ConfigIssue[] } {
  const result = schema.safeParse(input, { error: configErrorMap });
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.flatMap((issue) => toConfigIssues(issue, input, sourceOf)),
  };
}

/** `validateConfig` for callers with nothing else to report: throws a ConfigError on issues. */
export function parseConfig<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  sourceOf: SourceOf,
): z.output<Schema> {
  const result = validateConfig(schema, input, sourceOf);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.value;
}
