import type { SqlResult } from "../model-statements.js";

/** How one value prints in a table cell. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  // Seven significant digits: a FLOAT's precision, and what a person reads.
  if (typeof value === "number")
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(7)));
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (typeof value === "object")
    return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? String(v) : v));
  return String(value);
}

function isNumeric(type: string): boolean {
  return (
    /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|DECIMAL)/.test(type) &&
    !type.endsWith("]")
  );
}

/** Longest cell before it is cut with an ellipsis. */
const MAX_CELL = 60;

function cut(text: string): string {
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

/**
 * A result as an aligned text table (numbers right-aligned), with a row count; a statement
 * without rows prints its message.
 */
export function formatResult(result: SqlResult): string {
  if (result.columns.length === 0) return result.message ?? "OK";
  const headers = result.columns.map((column) => column.name);
  const cells = result.rows.map((row) =>
    result.columns.map((column) => cut(formatValue(row[column.name]))),
  );
  const widths = headers.map((header, c) =>
    Math.max(header.length, ...cells.map((row) => (row[c] as string).length)),
  );
  const right = result.columns.map((column) => isNumeric(column.type));
  const line = (values: readonly string[]) =>
    values
      .map((value, c) =>
        right[c] ? value.padStart(widths[c] as number) : value.padEnd(widths[c] as number),
      )
      .join(" | ")
      .trimEnd();
  const count = result.rows.length;
  return [
    line(headers.map((header, c) => (right[c] ? header.padStart(widths[c] as number) : header))),
    widths.map((width) => "-".repeat(width)).join("-+-"),
    ...cells.map(line),
    `(${count} ${count === 1 ? "row" : "rows"})`,
  ].join("\n");
}
