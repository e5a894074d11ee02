import type { z } from "zod";
import { listOrNone, SqlError, SqlErrorCode } from "../sql-error.js";

/** One key of a WITH (...) or MAP[...] option set: how to read it and how the reference describes it. */
export interface OptionDefinition<T = unknown> {
  readonly schema: z.ZodType<T, string>;
  /** The value's form in the reference, e.g. `duration`, `'ORDERED' | 'ALLOW_UNORDERED'`. */
  readonly type: string;
  readonly required?: boolean;
  /** The default as the reference shows it; absent: none. */
  readonly default?: string;
  readonly description: string;
}

export type OptionTable = Readonly<Record<string, OptionDefinition>>;

/** The typed values of a table's options; an option not given is absent. */
export type OptionValues<Table extends OptionTable> = {
  readonly [K in keyof Table]?: Table[K] extends OptionDefinition<infer T> ? T : never;
};

/** Keys with a hint for the fix, checked before "unknown key". */
export type RenamedKeys = Readonly<Record<string, string>>;

/**
 * Reads `raw` against `table`: every key known, every value valid, every required one present.
 * Errors name the key, what exists and the fix. `where` says whose options these are.
 */
export function readOptions<Table extends OptionTable>(
  table: Table,
  raw: Readonly<Record<string, string>>,
  where: string,
  renamed: RenamedKeys = {},
  ignored: ReadonlySet<string> = new Set(),
): OptionValues<Table> {
  const values: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(raw)) {
    if (ignored.has(key)) continue;
    const definition = table[key];
    if (definition === undefined) {
      const hint = renamed[key];
      throw new SqlError(
        SqlErrorCode.UnknownOption,
        hint === undefined
          ? `unknown option '${key}' in ${where}; the options are: ${listOrNone(Object.keys(table))}`
          : `unknown option '${key}' in ${where}: ${hint}`,
      );
    }
    const parsed = definition.schema.safeParse(text);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((issue) => issue.message).join("; ");
      throw new SqlError(
        SqlErrorCode.InvalidOption,
        `option '${key}' in ${where}: ${reason} (expected ${definition.type})`,
      );
    }
    values[key] = parsed.data;
  }
  for (const [key, definition] of Object.entries(table)) {
    if (definition.required === true && !(key in values)) {
      throw new SqlError(
        SqlErrorCode.InvalidOption,
        `${where} needs the option '${key}' (${definition.description})`,
      );
    }
  }
  return values as OptionValues<Table>;
}
