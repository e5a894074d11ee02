import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { createModelCatalog } from "./catalog/model-catalog.js";
import { type MlPredictProgress, runMlPredict } from "./execution/ml-predict-executor.js";
import { executeModelStatement, type SqlResult } from "./model-statements.js";
import { readMlPredictOptions } from "./options/ml-predict-options.js";
import { createProvider } from "./providers/create-provider.js";
import { enclosingFromClause, findModelCalls, type ModelCall } from "./sql/model-call.js";
import { isModelStatement, parseModelStatement } from "./sql/model-statement-parser.js";
import { type SqlStatement, splitStatements } from "./sql/statement-splitter.js";
import { syntaxErrorAt } from "./sql/token-cursor.js";
import type { Token } from "./sql/tokenizer.js";
import { SqlError, SqlErrorCode } from "./sql-error.js";

export interface SqlSessionOptions {
  /** A DuckDB database file (created when missing; it keeps its models) or `:memory:` (default). */
  readonly database?: string;
  /** Called after every chunk an ML_PREDICT writes: rows so far and time since it started. */
  readonly onProgress?: (progress: MlPredictProgress) => void;
}

/**
 * A SQL session on DuckDB with Flink's model statements and ML_PREDICT. Statements run one at a
 * time, in order; a script runs statement by statement and stops at the first error.
 */
export interface SqlSession {
  /** Runs a script; resolves with the last statement's result. */
  execute(sql: string, options?: ExecuteOptions): Promise<SqlResult>;
  /** Runs a script statement by statement, yielding each result as it completes. */
  results(sql: string, options?: ExecuteOptions): AsyncGenerator<SqlResult>;
  /**
   * Runs a script; the last statement's rows come in chunks (DuckDB's vectors, up to 2048
   * rows) as DuckDB produces them, never all at once.
   */
  stream(sql: string, options?: ExecuteOptions): AsyncGenerator<Record<string, unknown>[]>;
  /** The DuckDB connection, for what SQL text cannot do (appenders, prepared statements). */
  readonly connection: DuckDBConnection;
  /** Ends the session: TEMPORARY models and tables go; a file database keeps the rest. */
  close(): Promise<void>;
}

export interface ExecuteOptions {
  /** Cancels the statement; an ML_PREDICT in progress stops its calls and writes nothing. */
  readonly signal?: AbortSignal;
}

/** Opens a session on `database` (a file or `:memory:`) with the model catalog in it. */
export async function createSqlSession(options: SqlSessionOptions = {}): Promise<SqlSession> {
  const database = options.database ?? ":memory:";
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(database);
  } catch (error) {
    throw new SqlError(
      SqlErrorCode.EngineError,
      `cannot open the DuckDB database ${database}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const connection = await instance.connect();
  const catalog = await createModelCatalog(connection);
  let temporaryTables = 0;
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new SqlError(SqlErrorCode.Closed, "the SQL session is closed");
  }

  /** Materializes every model call of a statement; returns the SQL to run and the tables to drop. */
  async function rewrite(
    statement: SqlStatement,
    signal: AbortSignal | undefined,
  ): Promise<{ sql: string; temporary: string[] }> {
    const calls = findModelCalls(statement.tokens);
    if (calls.length === 0) return { sql: statement.text, temporary: [] };
    const temporary: string[] = [];
    const tokens = statement.tokens;
    const text = (start: number, end: number) =>
      statement.text.slice(
        (tokens[start] as Token).start - statement.start,
        (tokens[end - 1] as Token).end - statement.start,
      );
    let sql = "";
    let cursor = 0;
    try {
      for (const call of calls) {
        const output = `__ml_predict_${++temporaryTables}`;
        temporary.push(output);
        const replacement = await materialize(call, output, tokens, text, signal);
        sql += statement.text.slice(cursor, (tokens[call.first] as Token).start - statement.start);
        sql += replacement;
        cursor = (tokens[call.last] as Token).end - statement.start;
      }
    } catch (error) {
      await dropAll(temporary);
      throw error;
    }
    return { sql: sql + statement.text.slice(cursor), temporary };
  }

  async function materialize(
    call: ModelCall,
    output: string,
    tokens: readonly Token[],
    text: (start: number, end: number) => string,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const { definition } = await catalog.require(call.model);
    if (call.kind === "table") {
      const runtime = readMlPredictOptions(call.config);
      return runMlPredict({
        instance,
        connection,
        definition,
        provider: createProvider(definition),
        relation: `SELECT * FROM ${call.table}`,
        relationName: `table ${call.table}`,
        table: call.table,
        columns: call.columns,
        runtime,
        output,
        onProgress: options.onProgress,
        signal,
      });
    }
    const from = enclosingFromClause(tokens, call.first);
    if (from === undefined) {
      throw syntaxErrorAt(
        tokens[call.first] as Token,
        "ML_SCORE needs a SELECT with a FROM clause: its values are scored in batches over that relation first",
      );
    }
    const argNames = call.args.map((_, i) => `__arg${i}`);
    const args = call.args.map((arg) => text(arg.start, arg.end));
    await runMlPredict({
      instance,
      connection,
      definition,
      provider: createProvider(definition),
      relation: `SELECT DISTINCT ${args.map((arg, i) => `(${arg}) AS ${argNames[i]}`).join(", ")} FROM ${text(from.start, from.end)}`,
      relationName: "ML_SCORE's arguments",
      columns: argNames,
      runtime: readMlPredictOptions({}),
      output,
      onProgress: options.onProgress,
      signal,
    });
    const described = await connection.run(`SELECT * FROM ${output} LIMIT 0`);
    const score = described.columnNames()[args.length] as string;
    const match = args
      .map((arg, i) => `__s.${argNames[i]} IS NOT DISTINCT FROM (${arg})`)
      .join(" AND ");
    return `(SELECT __s."${score.replaceAll('"', '""')}" FROM ${output} AS __s WHERE ${match})`;
  }

  async function dropAll(tables: readonly string[]): Promise<void> {
    for (const table of tables)
      await connection.run(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
  }

  async function runStatement(
    statement: SqlStatement,
    signal: AbortSignal | undefined,
  ): Promise<SqlResult> {
    if (isModelStatement(statement.tokens)) {
      return executeModelStatement(catalog, parseModelStatement(statement.tokens));
    }
    const { sql, temporary } = await rewrite(statement, signal);
    try {
      const reader = await connection.runAndReadAll(sql).catch((error: unknown) => {
        throw engineError(error, statement);
      });
      const names = reader.columnNames();
      const types = reader.columnTypes().map(String);
      return {
        columns: names.map((name, i) => ({ name, type: types[i] as string })),
        rows: reader.getRowObjectsJS(),
        message: undefined,
      };
    } finally {
      await dropAll(temporary);
    }
  }

  async function* results(
    sql: string,
    executeOptions: ExecuteOptions = {},
  ): AsyncGenerator<SqlResult> {
    assertOpen();
    for (const statement of splitStatements(sql)) {
      yield await runStatement(statement, executeOptions.signal);
    }
  }

  return {
    connection,
    results,

    async execute(sql, executeOptions) {
      let last: SqlResult = { columns: [], rows: [], message: "no statement" };
      for await (const result of results(sql, executeOptions)) last = result;
      return last;
    },

    async *stream(sql, executeOptions = {}) {
      assertOpen();
      const statements = splitStatements(sql);
      const last = statements.pop();
      for (const statement of statements) await runStatement(statement, executeOptions.signal);
      if (last === undefined) return;
      if (isModelStatement(last.tokens)) {
        yield [...(await runStatement(last, executeOptions.signal)).rows];
        return;
      }
      const { sql: rewritten, temporary } = await rewrite(last, executeOptions.signal);
      try {
        const result = await connection.stream(rewritten).catch((error: unknown) => {
          throw engineError(error, last);
        });
        const names = result.columnNames();
        for (;;) {
          const chunk = await result.fetchChunk();
          if (chunk === null || chunk.rowCount === 0) break;
          const rows = chunk.getRowObjects(names);
          yield rows.map((row) => toJsRow(row));
        }
      } finally {
        await dropAll(temporary);
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      connection.closeSync();
      instance.closeSync();
    },
  };
}

function toJsRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[key] = toJs(value);
  return out;
}

function toJs(value: unknown): unknown {
  if (value !== null && typeof value === "object") {
    const items = (value as { items?: unknown }).items;
    if (Array.isArray(items)) return items.map(toJs);
    return String(value);
  }
  return value;
}

function engineError(error: unknown, statement: SqlStatement): SqlError {
  const first = statement.tokens[0] as Token;
  return new SqlError(
    SqlErrorCode.EngineError,
    `${(error as Error).message} (statement at line ${first.line})`,
    { cause: error },
  );
}
