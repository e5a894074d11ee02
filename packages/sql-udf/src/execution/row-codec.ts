import { type DuckDBValue, listValue } from "@duckdb/node-api";
import { decodeTensorValues, encodeTensor, type Tensor } from "@gpu-sidecar/sidecar-core";
import { SqlError, SqlErrorCode } from "../sql-error.js";
import type { BoundColumn } from "./model-signature.js";

const utf8 = new TextDecoder();

function items(value: DuckDBValue): readonly unknown[] | undefined {
  if (value === null) return undefined;
  const list = (value as { items?: unknown }).items;
  return Array.isArray(list) ? list : undefined;
}

/** One input row's tensor for `bound`, batch dimension 1, from the DuckDB value (already cast to the DDL type). */
export function encodeColumn(bound: BoundColumn, value: DuckDBValue, rowNumber: number): Tensor {
  const { column, datatype, wireName } = bound;
  if (value === null) {
    throw new SqlError(
      SqlErrorCode.TypeMismatch,
      `row ${rowNumber}: input column \`${column.name}\` is NULL; a model input needs a value (filter NULLs out, e.g. WHERE ${column.name} IS NOT NULL)`,
    );
  }
  if (column.type.kind === "array") {
    const values = items(value) ?? [];
    if (bound.width !== undefined && values.length !== bound.width) {
      throw new SqlError(
        SqlErrorCode.TypeMismatch,
        `row ${rowNumber}: input column \`${column.name}\` has ${values.length} values, the model takes ${bound.width} per row`,
      );
    }
    if (values.includes(null)) {
      throw new SqlError(
        SqlErrorCode.TypeMismatch,
        `row ${rowNumber}: input column \`${column.name}\` holds a NULL element; a tensor cannot`,
      );
    }
    return encodeTensor({
      name: wireName,
      datatype,
      shape: [1, values.length],
      values: values as never,
    });
  }
  return encodeTensor({ name: wireName, datatype, shape: [1], values: [value] as never });
}

function toDuckDB(value: unknown): DuckDBValue {
  if (value instanceof Uint8Array) return utf8.decode(value);
  return value as DuckDBValue;
}

/** One row's output value for `bound` from its rows of the output tensor. */
export function decodeColumn(bound: BoundColumn, tensor: Tensor): DuckDBValue {
  const values = decodeTensorValues(tensor) as ArrayLike<unknown>;
  if (bound.column.type.kind === "array") return listValue(Array.from(values, toDuckDB));
  if (values.length === 0) {
    throw new SqlError(
      SqlErrorCode.InferenceFailed,
      `the model returned no value for output \`${bound.column.name}\``,
    );
  }
  return toDuckDB(values[0]);
}
