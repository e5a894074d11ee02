/** The closed set of failure kinds of a SQL session; stable strings across process boundaries. */
export const SqlErrorCode = {
  /** The statement does not parse; the message has the line and column. */
  SyntaxError: "SYNTAX_ERROR",
  /** A model named in a statement does not exist (the message lists those that do). */
  UnknownModel: "UNKNOWN_MODEL",
  /** CREATE MODEL without IF NOT EXISTS, or ALTER ... RENAME TO, names a model that exists. */
  ModelExists: "MODEL_EXISTS",
  /** A column named in DESCRIPTOR(...) is not in the input relation. */
  UnknownColumn: "UNKNOWN_COLUMN",
  /** A WITH (...) or MAP[...] key that the provider or ML_PREDICT does not know. */
  UnknownOption: "UNKNOWN_OPTION",
  /** A known option with a value that does not parse or is out of range; a missing required one. */
  InvalidOption: "INVALID_OPTION",
  /** Types that do not fit: DDL against the served model, or input columns against the DDL. */
  TypeMismatch: "TYPE_MISMATCH",
  /** Valid Flink SQL that this engine does not run (e.g. CREATE MODEL ... AS SELECT). */
  Unsupported: "UNSUPPORTED",
  /** The model's endpoint cannot be reached; the statement failed and left nothing behind. */
  EndpointUnavailable: "ENDPOINT_UNAVAILABLE",
  /** The model server answered a call with an error; the statement failed and left nothing behind. */
  InferenceFailed: "INFERENCE_FAILED",
  /** DuckDB refused the statement (its own message follows). */
  EngineError: "ENGINE_ERROR",
  /** The session is closed. */
  Closed: "CLOSED",
} as const;
export type SqlErrorCode = (typeof SqlErrorCode)[keyof typeof SqlErrorCode];

const codes = new Set<string>(Object.values(SqlErrorCode));

/** Where in the SQL text a syntax error is: 1-based line and column. */
export interface SqlPosition {
  readonly line: number;
  readonly column: number;
}

/** Every failure of a SQL session: a code from `SqlErrorCode` and a message saying what to do. */
export class SqlError extends Error {
  override readonly name = "SqlError";
  readonly code: SqlErrorCode;
  /** Set on SYNTAX_ERROR. */
  readonly position: SqlPosition | undefined;

  constructor(
    code: SqlErrorCode,
    message: string,
    options?: { cause?: unknown; position?: SqlPosition },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.position = options?.position;
  }

  /** Normalizes anything thrown into a SqlError, keeping the original as `cause`. */
  static from(reason: unknown, fallback: SqlErrorCode = SqlErrorCode.EngineError): SqlError {
    if (reason instanceof SqlError) return reason;
    if (reason instanceof Error) {
      const code = (reason as { code?: unknown }).code;
      const known = typeof code === "string" && codes.has(code) ? (code as SqlErrorCode) : fallback;
      return new SqlError(known, reason.message, { cause: reason });
    }
    return new SqlError(fallback, String(reason), { cause: reason });
  }
}

/** `a, b, c` or `(none)`: the "what exists" part of an error message. */
export function listOrNone(names: readonly string[]): string {
  return names.length === 0 ? "(none)" : names.join(", ");
}
