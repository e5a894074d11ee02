import type { DuckDBConnection } from "@duckdb/node-api";
import type { ModelDefinition } from "../sql/model-statement.js";
import { listOrNone, SqlError, SqlErrorCode } from "../sql-error.js";

/** The table that keeps a database's models, so a file database keeps them across runs. */
export const CATALOG_TABLE = "gpu_sidecar_models";

export interface CatalogEntry {
  readonly definition: ModelDefinition;
  readonly temporary: boolean;
}

/**
 * The models of one session: persistent ones in a table of the database, TEMPORARY ones in
 * the session only (they shadow a persistent model of the same name, as in Flink).
 */
export interface ModelCatalog {
  get(name: string): Promise<CatalogEntry | undefined>;
  /** Like `get`, but an unknown name fails naming the models that exist. */
  require(name: string): Promise<CatalogEntry>;
  list(): Promise<CatalogEntry[]>;
  create(definition: ModelDefinition, temporary: boolean, ifNotExists: boolean): Promise<boolean>;
  drop(name: string, temporary: boolean, ifExists: boolean): Promise<boolean>;
  /** Replaces a model's definition, keeping where it lives. */
  replace(name: string, definition: ModelDefinition): Promise<void>;
}

export async function createModelCatalog(connection: DuckDBConnection): Promise<ModelCatalog> {
  await connection.run(
    `CREATE TABLE IF NOT EXISTS ${CATALOG_TABLE} (name VARCHAR PRIMARY KEY, definition VARCHAR NOT NULL)`,
  );
  const temporary = new Map<string, ModelDefinition>();

  async function persistent(name: string): Promise<ModelDefinition | undefined> {
    const reader = await connection.runAndReadAll(
      `SELECT definition FROM ${CATALOG_TABLE} WHERE name = $1`,
      [name],
    );
    const row = reader.getRows()[0];
    return row === undefined ? undefined : (JSON.parse(String(row[0])) as ModelDefinition);
  }

  async function list(): Promise<CatalogEntry[]> {
    const reader = await connection.runAndReadAll(`SELECT definition FROM ${CATALOG_TABLE}`);
    const entries = new Map<string, CatalogEntry>();
    for (const [json] of reader.getRows()) {
      const definition = JSON.parse(String(json)) as ModelDefinition;
      entries.set(definition.name, { definition, temporary: false });
    }
    for (const definition of temporary.values()) {
      entries.set(definition.name, { definition, temporary: true });
    }
    return [...entries.values()].sort((a, b) => a.definition.name.localeCompare(b.definition.name));
  }

  async function get(name: string): Promise<CatalogEntry | undefined> {
    const shadowing = temporary.get(name);
    if (shadowing !== undefined) return { definition: shadowing, temporary: true };
    const definition = await persistent(name);
    return definition === undefined ? undefined : { definition, temporary: false };
  }

  return {
    get,
    list,

    async require(name) {
      const entry = await get(name);
      if (entry !== undefined) return entry;
      const names = (await list()).map((e) => e.definition.name);
      throw new SqlError(
        SqlErrorCode.UnknownModel,
        `model \`${name}\` does not exist; the models are: ${listOrNone(names)}`,
      );
    },

    async create(definition, isTemporary, ifNotExists) {
      const exists = isTemporary
        ? temporary.has(definition.name)
        : (await persistent(definition.name)) !== undefined;
      if (exists) {
        if (ifNotExists) return false;
        throw new SqlError(
          SqlErrorCode.ModelExists,
          `${isTemporary ? "temporary " : ""}model \`${definition.name}\` already exists: use CREATE MODEL IF NOT EXISTS, or DROP MODEL first`,
        );
      }
      if (isTemporary) temporary.set(definition.name, definition);
      else {
        await connection.run(`INSERT INTO ${CATALOG_TABLE} VALUES ($1, $2)`, [
          definition.name,
          JSON.stringify(definition),
        ]);
      }
      return true;
    },

    async drop(name, isTemporary, ifExists) {
      const exists = isTemporary ? temporary.has(name) : (await persistent(name)) !== undefined;
      if (!exists) {
        if (ifExists) return false;
        const names = (await list())
          .filter((entry) => entry.temporary === isTemporary)
          .map((entry) => entry.definition.name);
        throw new SqlError(
          SqlErrorCode.UnknownModel,
          `${isTemporary ? "temporary " : ""}model \`${name}\` does not exist; the ${isTemporary ? "temporary " : ""}models are: ${listOrNone(names)}`,
        );
      }
      if (isTemporary) temporary.delete(name);
      else await connection.run(`DELETE FROM ${CATALOG_TABLE} WHERE name = $1`, [name]);
      return true;
    },

    async replace(name, definition) {
      if (temporary.has(name)) {
        temporary.delete(name);
        temporary.set(definition.name, definition);
        return;
      }
      await connection.run(
        `UPDATE ${CATALOG_TABLE} SET name = $1, definition = $2 WHERE name = $3`,
        [definition.name, JSON.stringify(definition), name],
      );
    },
  };
}
