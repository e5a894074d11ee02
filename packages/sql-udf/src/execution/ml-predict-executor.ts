import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from "@duckdb/node-api";
import { DuckDBDataChunk } from "@duckdb/node-api";
import { asyncInference } from "@gpu-sidecar/async-inference";
import { ErrorCode, SidecarError, type Tensor } from "@gpu-sidecar/sidecar-core";
import type { MlPredictRuntime } from "../options/ml-predict-options.js";
import type { ModelProvider } from "../providers/model-provider.js";
import type { ModelDefinition } from "../sql/model-statement.js";
import { duckdbType } from "../sql/sql-type.js";
import { listOrNone, SqlError, SqlErrorCode } from "../sql-error.js";
import { type BoundColumn, bindSignature } from "./model-signature.js";
import { decodeColumn, encodeColumn } from "./row-codec.js";

/** Progress of one ML_PREDICT, reported after every appended chunk. */
export interface MlPredictProgress {
  readonly model: string;
  /** Rows scored and written so far. */
  readonly rows: number;
  readonly elapsedMs: number;
}

export interface MlPredictRun {
  readonly instance: DuckDBInstance;
  /** The session's connection: the output table is a temporary table of it. */
  readonly connection: DuckDBConnection;
  readonly definition: ModelDefinition;
  readonly provider: ModelProvider;
  /** A query giving the input relation. */
  readonly relation: string;
  /**
   * The input when it is a table: the result then keeps only each row's `rowid` beside the
   * outputs, and the query joins the table back, instead of copying every input column.
   */
  readonly table?: string | undefined;
  /** How the input is named in messages. */
  readonly relationName: string;
  /** The DESCRIPTOR(...) columns. */
  readonly columns: readonly string[];
  readonly runtime: MlPredictRuntime;
  /** The temporary table to create and fill. */
  readonly output: string;
  readonly onProgress?: ((progress: MlPredictProgress) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** The column of a keyed result that holds the input row's `rowid`. */
const ROW_KEY = "__gpu_sidecar_row";

/** Whether `table` is a base table (a view has no `rowid`). */
async function hasRowid(connection: DuckDBConnection, table: string): Promise<boolean> {
  try {
    await connection.run(`SELECT rowid FROM ${table} LIMIT 0`);
    return true;
  } catch {
    return false;
  }
}

/** DuckDB's standard vector size: rows per appended chunk. */
const CHUNK_ROWS = 2048;

interface InputRow {
  readonly values: readonly DuckDBValue[];
  readonly inputs: readonly DuckDBValue[];
  readonly number: number;
}

interface OutputRow {
  readonly values: readonly DuckDBValue[];
  readonly outputs: readonly DuckDBValue[];
}

/** Flink's rule: an output column named like an input column gets `0`, then `1`, ... appended. */
export function outputColumnNames(inputs: readonly string[], outputs: readonly string[]): string[] {
  const taken = new Set(inputs.map((name) => name.toLowerCase()));
  return outputs.map((name) => {
    let candidate = name;
    for (let k = 0; taken.has(candidate.toLowerCase()); k++) candidate = `${name}${k}`;
    taken.add(candidate.toLowerCase());
    return candidate;
  });
}

function quoteColumn(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function toSqlError(error: unknown, run: MlPredictRun): SqlError {
  if (error instanceof SqlError) return error;
  const model = run.definition.name;
  const reason = SidecarError.from(error);
  if (reason.code === ErrorCode.Unavailable) {
    return new SqlError(
      SqlErrorCode.EndpointUnavailable,
      `ML_PREDICT with model \`${model}\`: the endpoint ${run.provider.endpoint} is unavailable (${reason.message}); the statement failed and wrote nothing. Start the sidecar or fix 'endpoint'`,
      { cause: error },
    );
  }
  if (reason.code === ErrorCode.Cancelled && run.signal?.aborted === true) {
    return new SqlError(
      SqlErrorCode.InferenceFailed,
      `ML_PREDICT with model \`${model}\` was cancelled`,
      {
        cause: error,
      },
    );
  }
  return new SqlError(
    SqlErrorCode.InferenceFailed,
    `ML_PREDICT with model \`${model}\` at ${run.provider.endpoint} failed: ${reason.code}: ${reason.message}; the statement failed and wrote nothing`,
    { cause: error },
  );
}

/**
 * Runs ML_PREDICT into a temporary table and returns the SQL that reads the result in its
 * place (the table, or for a base table a join of it with the outputs by `rowid`): binds the DDL to the served signature (no row is
 * sent before that passes), streams the input relation chunk by chunk through `asyncInference`
 * and appends each scored chunk with the appender. Memory holds one input chunk, the
 * operator's capacity and one output chunk, never the table. On any failure the table is
 * dropped and the error says why: no partial result.
 */
export async function runMlPredict(run: MlPredictRun): Promise<string> {
  const { connection, definition, provider, runtime, output } = run;
  const started = performance.now();
  const reader = await run.instance.connect();
  let created = false;
  try {
    const probe = await reader.run(`SELECT * FROM (${run.relation}) LIMIT 0`);
    const names = probe.columnNames();
    const types = probe.columnTypes().map(String);
    const positions = run.columns.map((column) => {
      const exact = names.indexOf(column);
      const index =
        exact >= 0 ? exact : names.findIndex((n) => n.toLowerCase() === column.toLowerCase());
      if (index < 0) {
        throw new SqlError(
          SqlErrorCode.UnknownColumn,
          `DESCRIPTOR column \`${column}\` is not a column of ${run.relationName}; its columns are: ${listOrNone(names)}`,
        );
      }
      return index;
    });
    const metadata = await provider.metadata(run.signal).catch((error: unknown) => {
      throw toSqlError(error, run);
    });
    const signature = bindSignature(definition, metadata, provider.wireName);
    if (signature.inputs.length !== positions.length) {
      throw new SqlError(
        SqlErrorCode.TypeMismatch,
        `model \`${definition.name}\` takes ${signature.inputs.length} input column(s) (${signature.inputs
          .map((b) => `${b.column.name} ${b.column.type.text}`)
          .join(", ")}), DESCRIPTOR(...) names ${positions.length}`,
      );
    }
    // Input columns of the DDL's element type are read as they are; others through a CAST.
    const inputExpressions = signature.inputs.map((bound, i) => {
      const position = positions[i] as number;
      const source = types[position] as string;
      const name = names[position] as string;
      checkColumnType(source, bound, name);
      const type = duckdbType(bound.column.type);
      return elementType(source) === elementType(type)
        ? quoteColumn(name)
        : `CAST(${quoteColumn(name)} AS ${type})`;
    });
    const keyed = run.table !== undefined && (await hasRowid(reader, run.table));
    const kept = keyed
      ? [{ name: ROW_KEY, type: "BIGINT", expression: "rowid" }]
      : names.map((name, i) => ({ name, type: types[i] as string, expression: quoteColumn(name) }));

    const outputNames = outputColumnNames(
      names,
      signature.outputs.map((bound) => bound.column.name),
    );
    const columnsDdl = [
      ...kept.map((column) => `${quoteColumn(column.name)} ${column.type}`),
      ...signature.outputs.map(
        (bound, i) => `${quoteColumn(outputNames[i] as string)} ${duckdbType(bound.column.type)}`,
      ),
    ];
    await connection.run(`CREATE TEMPORARY TABLE ${output} (${columnsDdl.join(", ")})`);
    created = true;
    const chunkTypes = (await connection.run(`SELECT * FROM ${output} LIMIT 0`)).columnTypes();

    const selected = [...kept.map((column) => column.expression), ...inputExpressions].join(", ");
    const source = await reader.stream(
      `SELECT ${selected} FROM ${keyed ? run.table : `(${run.relation})`}`,
    );
    const width = kept.length;
    async function* rows(): AsyncGenerator<InputRow> {
      let number = 0;
      for (;;) {
        const chunk = await source.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) return;
        const columns = chunk.getColumns();
        for (let r = 0; r < chunk.rowCount; r++) {
          number++;
          yield {
            values: columns.slice(0, width).map((column) => column[r] as DuckDBValue),
            inputs: columns.slice(width).map((column) => column[r] as DuckDBValue),
            number,
          };
        }
      }
    }

    const byWireName = (outputs: Tensor[], bound: BoundColumn): Tensor => {
      const wanted = bound.wireName.toLowerCase();
      const tensor = outputs.find((t) => t.name.toLowerCase() === wanted);
      if (tensor === undefined) {
        throw new SqlError(
          SqlErrorCode.InferenceFailed,
          `model \`${definition.name}\` answered without output ${bound.wireName} (got ${listOrNone(outputs.map((t) => t.name))})`,
        );
      }
      return tensor;
    };

    const scored = asyncInference<InputRow, OutputRow>(rows(), {
      infer: provider.inferFunction(signature.outputs.map((bound) => bound.wireName)),
      encode: (row) =>
        signature.inputs.map((bound, i) =>
          encodeColumn(bound, row.inputs[i] as DuckDBValue, row.number),
        ),
      decode: (outputs, row) => ({
        values: row.values,
        outputs: signature.outputs.map((bound) => decodeColumn(bound, byWireName(outputs, bound))),
      }),
      capacity: runtime.maxConcurrentOperations * (provider.batch?.maxRows ?? 1),
      ordered: runtime.ordered,
      timeoutMs: runtime.timeoutMs,
      ...(provider.batch === undefined ? {} : { batch: provider.batch }),
      ...(run.signal === undefined ? {} : { signal: run.signal }),
      modelName: definition.name,
    });

    const appender = await connection.createAppender(output, "main", "temp");
    try {
      let pending: OutputRow[] = [];
      let written = 0;
      const flush = () => {
        if (pending.length === 0) return;
        const chunk = DuckDBDataChunk.create(chunkTypes, pending.length);
        const columnValues: DuckDBValue[][] = chunkTypes.map(() => new Array(pending.length));
        pending.forEach((row, r) => {
          for (let c = 0; c < width; c++)
            (columnValues[c] as DuckDBValue[])[r] = row.values[c] as DuckDBValue;
          row.outputs.forEach((value, o) => {
            (columnValues[width + o] as DuckDBValue[])[r] = value;
          });
        });
        chunk.setColumns(columnValues);
        appender.appendDataChunk(chunk);
        written += pending.length;
        pending = [];
        run.onProgress?.({
          model: definition.name,
          rows: written,
          elapsedMs: performance.now() - started,
        });
      };
      for await (const row of scored) {
        pending.push(row);
        if (pending.length === CHUNK_ROWS) flush();
      }
      flush();
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    if (!keyed) return output;
    const outputs = outputNames.map((name) => `__out.${quoteColumn(name)}`).join(", ");
    const order = runtime.ordered ? ` ORDER BY __out.${ROW_KEY}` : "";
    return `(SELECT __in.*, ${outputs} FROM ${run.table} AS __in JOIN ${output} AS __out ON __in.rowid = __out.${ROW_KEY}${order})`;
  } catch (error) {
    if (created) await connection.run(`DROP TABLE IF EXISTS ${output}`).catch(() => {});
    throw toSqlError(error, run);
  } finally {
    reader.closeSync();
    await provider.close();
  }
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/;

/** `FLOAT` of `FLOAT`, `FLOAT[]` and `FLOAT[16]`. */
function elementType(duckType: string): string {
  return duckType.replace(/\[\d*\]$/, "");
}

function family(duckType: string): string {
  if (duckType === "BOOLEAN") return "BOOLEAN";
  if (duckType === "VARCHAR") return "STRING";
  return NUMERIC.test(duckType) ? "NUMBER" : duckType;
}

/** An input column must be a list exactly when the model column is an ARRAY, of the same family of values. */
function checkColumnType(duckType: string, bound: BoundColumn, name: string): void {
  const list = /(\[\d*\])$/.exec(duckType);
  const element = list === null ? duckType : duckType.slice(0, list.index);
  const type = bound.column.type;
  const wanted = type.kind === "array" ? type.element.name : type.name;
  const wantedFamily = wanted === "BOOLEAN" ? "BOOLEAN" : wanted === "STRING" ? "STRING" : "NUMBER";
  if ((list !== null) !== (type.kind === "array") || family(element) !== wantedFamily) {
    throw new SqlError(
      SqlErrorCode.TypeMismatch,
      `column \`${name}\` is ${duckType}, but model input \`${bound.column.name}\` is ${type.text}${type.kind === "array" ? " (a list per row)" : ""}; no row was sent`,
    );
  }
}
