import { SqlError, SqlErrorCode } from "../sql-error.js";
import { type OptionTable, readOptions } from "./option-table.js";
import { booleanValue, durationValue, enumValue, integerValue } from "./option-values.js";

/** The MAP[...] keys of ML_PREDICT, Flink's runtime config options of a model call. */
export const ML_PREDICT_OPTIONS = {
  async: {
    schema: booleanValue,
    type: "boolean",
    default: "true",
    description:
      "`false` runs one call at a time (Flink's synchronous predict); `true` keeps up to `max-concurrent-operations` calls in flight",
  },
  "max-concurrent-operations": {
    schema: integerValue(1, 100_000),
    type: "integer",
    default: "10",
    description:
      "most model calls in flight at once (Flink's async capacity); with coalescing each call carries up to the model's `batch-max-rows` rows",
  },
  "output-mode": {
    schema: enumValue(["ORDERED", "ALLOW_UNORDERED"]),
    type: "`'ORDERED'` or `'ALLOW_UNORDERED'`",
    default: "ORDERED",
    description:
      "`ORDERED` keeps the input's row order; `ALLOW_UNORDERED` emits rows as their results arrive",
  },
  timeout: {
    schema: durationValue,
    type: "duration",
    default: "3min",
    description:
      "a row's deadline across its call and retries (Flink's async timeout); a row past it fails the statement",
  },
} as const satisfies OptionTable;

export interface MlPredictRuntime {
  readonly async: boolean;
  readonly maxConcurrentOperations: number;
  readonly ordered: boolean;
  readonly timeoutMs: number;
}

const RENAMED = {
  capacity:
    "a development build of Flink called it 'capacity'; the released key is 'max-concurrent-operations'",
};

/** Reads ML_PREDICT's MAP[...] with Flink's defaults. */
export function readMlPredictOptions(raw: Readonly<Record<string, string>>): MlPredictRuntime {
  const values = readOptions(ML_PREDICT_OPTIONS, raw, "ML_PREDICT's MAP[...]", RENAMED);
  if (values.async === false && values["max-concurrent-operations"] !== undefined) {
    throw new SqlError(
      SqlErrorCode.InvalidOption,
      "ML_PREDICT's MAP[...] sets 'max-concurrent-operations' with 'async' = 'false': a synchronous call has one operation at a time; drop one of the two",
    );
  }
  return {
    async: values.async ?? true,
    maxConcurrentOperations:
      values.async === false ? 1 : (values["max-concurrent-operations"] ?? 10),
    ordered: (values["output-mode"] ?? "ORDERED") === "ORDERED",
    timeoutMs: values.timeout ?? 180_000,
  };
}
