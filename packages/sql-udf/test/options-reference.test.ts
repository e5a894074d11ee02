import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  GPU_SIDECAR_OPTIONS,
  ML_PREDICT_OPTIONS,
  type OptionTable,
  TRITON_OPTIONS,
} from "../src/index.js";

// docs/sql-options.md's tables are the option tables of the code, row for row. Run with
// UPDATE_DOCS=1 to rewrite them from the code (then `npx pnpm@12.4.2 format`).
const PAGE = resolve(import.meta.dirname, "../docs/sql-options.md");
const TABLES: Readonly<Record<string, OptionTable>> = {
  "ml-predict": ML_PREDICT_OPTIONS,
  triton: TRITON_OPTIONS,
  "gpu-sidecar": GPU_SIDECAR_OPTIONS,
};

function rows(table: OptionTable): string[][] {
  return Object.entries(table).map(([key, option]) => [
    `\`'${key}'\``,
    option.type,
    option.required === true
      ? "required"
      : option.default === undefined
        ? "—"
        : `\`'${option.default}'\``,
    option.description,
  ]);
}

function render(table: OptionTable): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(["key", "value", "default", "meaning"]),
    line(["---", "---", "---", "---"]),
    ...rows(table).map(line),
  ].join("\n");
}

const section = (name: string) =>
  new RegExp(`(<!-- options: ${name} -->\\n)([^]*?)(<!-- end options -->)`);

/** The rows of the page's table for `name`, cells trimmed (Biome pads them). */
function documentedRows(page: string, name: string): string[][] {
  const body = section(name).exec(page)?.[2];
  if (body === undefined)
    throw new Error(`docs/sql-options.md has no "<!-- options: ${name} -->" section`);
  return body
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .slice(2)
    .map((line) =>
      line
        .slice(1, -1)
        .split(" | ")
        .map((cell) => cell.trim()),
    );
}

describe("docs/sql-options.md", () => {
  if (process.env.UPDATE_DOCS === "1") {
    let page = readFileSync(PAGE, "utf8");
    for (const [name, table] of Object.entries(TABLES))
      page = page.replace(
        section(name),
        (_, open: string, _body, close: string) => `${open}\n${render(table)}\n\n${close}`,
      );
    writeFileSync(PAGE, page);
  }
  const page = readFileSync(PAGE, "utf8");
  for (const [name, table] of Object.entries(TABLES)) {
    it(`documents every '${name}' key with its value, default and meaning`, () => {
      expect(documentedRows(page, name)).toEqual(rows(table));
    });
  }
});
