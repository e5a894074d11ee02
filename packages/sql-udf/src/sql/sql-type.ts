import type { Datatype } from "@gpu-sidecar/sidecar-core";

/** The Flink SQL scalar types that Flink's Triton provider maps to a KServe datatype. */
export type ScalarTypeName =
  | "BOOLEAN"
  | "TINYINT"
  | "SMALLINT"
  | "INT"
  | "BIGINT"
  | "FLOAT"
  | "DOUBLE"
  | "STRING";

/** A column type of a model's INPUT or OUTPUT: a scalar or an ARRAY of one. */
export type SqlType =
  | { readonly kind: "scalar"; readonly name: ScalarTypeName; readonly text: string }
  | {
      readonly kind: "array";
      readonly element: Extract<SqlType, { kind: "scalar" }>;
      readonly text: string;
    };

/** Flink's spellings of each scalar type (all case-insensitive). */
export const SCALAR_TYPE_SPELLINGS: Readonly<Record<string, ScalarTypeName>> = {
  BOOLEAN: "BOOLEAN",
  TINYINT: "TINYINT",
  SMALLINT: "SMALLINT",
  INT: "INT",
  INTEGER: "INT",
  BIGINT: "BIGINT",
  FLOAT: "FLOAT",
  REAL: "FLOAT",
  DOUBLE: "DOUBLE",
  STRING: "STRING",
  VARCHAR: "STRING",
  CHAR: "STRING",
};

/** Flink's Triton provider mapping (TritonTypeMapper): an ARRAY maps to its element's datatype. */
const KSERVE_DATATYPES: Readonly<Record<ScalarTypeName, Datatype>> = {
  BOOLEAN: "BOOL",
  TINYINT: "INT8",
  SMALLINT: "INT16",
  INT: "INT32",
  BIGINT: "INT64",
  FLOAT: "FP32",
  DOUBLE: "FP64",
  STRING: "BYTES",
};

const DUCKDB_TYPES: Readonly<Record<ScalarTypeName, string>> = {
  BOOLEAN: "BOOLEAN",
  TINYINT: "TINYINT",
  SMALLINT: "SMALLINT",
  INT: "INTEGER",
  BIGINT: "BIGINT",
  FLOAT: "FLOAT",
  DOUBLE: "DOUBLE",
  STRING: "VARCHAR",
};

export function kserveDatatype(type: SqlType): Datatype {
  return KSERVE_DATATYPES[type.kind === "array" ? type.element.name : type.name];
}

/** The DuckDB column type that holds values of `type`. */
export function duckdbType(type: SqlType): string {
  return type.kind === "array" ? `${DUCKDB_TYPES[type.element.name]}[]` : DUCKDB_TYPES[type.name];
}

/** The scalar type of a served tensor's datatype, the reverse of Flink's mapping. */
export function scalarTypeOf(datatype: Datatype): ScalarTypeName | undefined {
  for (const [name, mapped] of Object.entries(KSERVE_DATATYPES)) {
    if (mapped === datatype) return name as ScalarTypeName;
  }
  return undefined;
}
