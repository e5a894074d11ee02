import type { ModelCatalog } from "./catalog/model-catalog.js";
import { validateModel } from "./providers/create-provider.js";
import { renderCreateModel } from "./sql/model-ddl.js";
import type { ModelDefinition, ModelStatement } from "./sql/model-statement.js";
import { SqlError, SqlErrorCode } from "./sql-error.js";

/** What a statement returns: columns, rows as objects keyed by column name, and a note for DDL. */
export interface SqlResult {
  readonly columns: readonly SqlColumn[];
  readonly rows: readonly Record<string, unknown>[];
  /** For statements without rows, what happened ("model `fraud` created"). */
  readonly message: string | undefined;
}

export interface SqlColumn {
  readonly name: string;
  /** The DuckDB type, e.g. `FLOAT[]`. */
  readonly type: string;
}

function messageResult(message: string): SqlResult {
  return { columns: [], rows: [], message };
}

function table(columns: readonly string[], rows: readonly Record<string, unknown>[]): SqlResult {
  return { columns: columns.map((name) => ({ name, type: "VARCHAR" })), rows, message: undefined };
}

/** SQL LIKE with `%` and `_`, as SHOW MODELS LIKE uses it. */
function likePattern(pattern: string): RegExp {
  const source = [...pattern]
    .map((c) => (c === "%" ? ".*" : c === "_" ? "." : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`);
}

/** Runs one model statement against the catalog. */
export async function executeModelStatement(
  catalog: ModelCatalog,
  statement: ModelStatement,
): Promise<SqlResult> {
  switch (statement.kind) {
    case "create": {
      validateModel(statement.definition);
      const created = await catalog.create(
        statement.definition,
        statement.temporary,
        statement.ifNotExists,
      );
      const what = `${statement.temporary ? "temporary " : ""}model \`${statement.definition.name}\``;
      return messageResult(created ? `${what} created` : `${what} already exists; nothing done`);
    }
    case "drop": {
      const dropped = await catalog.drop(statement.name, statement.temporary, statement.ifExists);
      return messageResult(
        dropped
          ? `model \`${statement.name}\` dropped`
          : `model \`${statement.name}\` does not exist; nothing done`,
      );
    }
    case "rename":
    case "set":
    case "reset": {
      const entry = statement.ifExists
        ? await catalog.get(statement.name)
        : await catalog.require(statement.name);
      if (entry === undefined)
        return messageResult(`model \`${statement.name}\` does not exist; nothing done`);
      const current = entry.definition;
      let next: ModelDefinition;
      if (statement.kind === "rename") {
        if ((await catalog.get(statement.newName)) !== undefined) {
          throw new SqlError(
            SqlErrorCode.ModelExists,
            `cannot rename \`${statement.name}\` to \`${statement.newName}\`: a model of that name exists`,
          );
        }
        next = { ...current, name: statement.newName };
      } else if (statement.kind === "set") {
        next = { ...current, options: { ...current.options, ...statement.options } };
      } else {
        const options = { ...current.options };
        for (const key of statement.keys) {
          if (!Object.hasOwn(options, key)) {
            throw new SqlError(
              SqlErrorCode.UnknownOption,
              `model \`${statement.name}\` has no option '${key}' to reset; it has: ${Object.keys(options).join(", ")}`,
            );
          }
          delete options[key];
        }
        next = { ...current, options };
      }
      validateModel(next);
      await catalog.replace(statement.name, next);
      return messageResult(
        statement.kind === "rename"
          ? `model \`${statement.name}\` renamed to \`${statement.newName}\``
          : `model \`${statement.name}\` altered`,
      );
    }
    case "show-models": {
      const like = statement.like === undefined ? undefined : likePattern(statement.like);
      const names = (await catalog.list())
        .map((entry) => entry.definition.name)
        .filter((name) => like === undefined || like.test(name));
      return table(
        ["model name"],
        names.map((name) => ({ "model name": name })),
      );
    }
    case "show-create": {
      const entry = await catalog.require(statement.name);
      return table(["result"], [{ result: renderCreateModel(entry.definition, entry.temporary) }]);
    }
    case "describe": {
      const { definition } = await catalog.require(statement.name);
      const rows = [
        ...definition.inputs.map((column) => ({ column, input: true })),
        ...definition.outputs.map((column) => ({ column, input: false })),
      ].map(({ column, input }) => ({
        name: column.name,
        type: column.type.text.replace(/ NOT NULL$/, ""),
        null: !column.type.text.endsWith("NOT NULL"),
        "is input": input,
        comment: column.comment ?? null,
      }));
      return table(["name", "type", "null", "is input", "comment"], rows);
    }
  }
}
