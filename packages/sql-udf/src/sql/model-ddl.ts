import type { ModelColumn, ModelDefinition } from "./model-statement.js";

/** A name as Flink prints it: backquoted, inner backquotes doubled, each dotted part apart. */
export function quoteName(name: string): string {
  return name
    .split(".")
    .map((part) => `\`${part.replaceAll("`", "``")}\``)
    .join(".");
}

export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function columnList(columns: readonly ModelColumn[]): string {
  return columns
    .map(
      (column) =>
        `  ${quoteName(column.name)} ${column.type.text}` +
        (column.comment === undefined ? "" : ` COMMENT ${quoteString(column.comment)}`),
    )
    .join(",\n");
}

/** The CREATE MODEL statement that recreates `definition` (SHOW CREATE MODEL). */
export function renderCreateModel(definition: ModelDefinition, temporary: boolean): string {
  const lines = [`CREATE ${temporary ? "TEMPORARY " : ""}MODEL ${quoteName(definition.name)}`];
  if (definition.inputs.length > 0) {
    lines.push(`INPUT (\n${columnList(definition.inputs)}\n)`);
    lines.push(`OUTPUT (\n${columnList(definition.outputs)}\n)`);
  }
  if (definition.comment !== undefined) lines.push(`COMMENT ${quoteString(definition.comment)}`);
  const options = Object.entries(definition.options).map(
    ([key, value]) => `  ${quoteString(key)} = ${quoteString(value)}`,
  );
  lines.push(`WITH (\n${options.join(",\n")}\n)`);
  return lines.join("\n");
}
