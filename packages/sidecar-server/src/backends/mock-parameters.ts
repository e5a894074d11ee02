import {
  DATATYPES,
  type Datatype,
  ErrorCode,
  type ModelLoadRequest,
  type ModelSignature,
  SidecarError,
  type TensorSpec,
} from "@gpu-sidecar/sidecar-core";
import { isNumericDatatype } from "./element-reader.js";

/** The mock backend's settings, read from `ModelLoadRequest.parameters`. */
export interface MockParameters {
  /** Declared by `parameters.inputs` / `parameters.outputs` (lists of `{name, datatype, shape}`). */
  readonly signature: ModelSignature;
  /** `fixed_latency_us`: paid by every batch. */
  readonly fixedLatencyUs: number;
  /** `per_row_latency_us`: paid per row of the batch. */
  readonly perRowLatencyUs: number;
  /**
   * `crash_on_rows`, fault injection: a batch of exactly this many rows ends its worker thread
   * abruptly, as a native crash in a real runtime would, so crash recovery can be tested end to end.
   */
  readonly crashOnRows: number | undefined;
}

const OUTPUT_DATATYPES: readonly Datatype[] = ["FP32", "FP64"];

export function parseMockParameters(request: ModelLoadRequest): MockParameters {
  const { parameters } = request;
  const invalid = (what: string) =>
    new SidecarError(
      ErrorCode.InvalidArgument,
      `mock model "${request.name}" version ${request.version}: ${what}`,
    );

  const specs = (key: "inputs" | "outputs"): TensorSpec[] => {
    const value = parameters[key];
    if (!Array.isArray(value) || value.length === 0) {
      throw invalid(`parameters.${key} must be a non-empty list of {name, datatype, shape}`);
    }
    return value.map((entry: unknown, index) => {
      const where = `parameters.${key}[${index}]`;
      if (typeof entry !== "object" || entry === null) throw invalid(`${where} must be an object`);
      const { name, datatype, shape } = entry as Record<string, unknown>;
      if (typeof name !== "string" || name === "") {
        throw invalid(`${where}.name must be a non-empty string`);
      }
      if (!DATATYPES.includes(datatype as Datatype)) {
        throw invalid(`${where}.datatype must be one of ${DATATYPES.join(", ")}`);
      }
      if (
        !Array.isArray(shape) ||
        shape[0] !== -1 ||
        !shape.every((dim: unknown) => Number.isInteger(dim) && (dim as number) >= -1)
      ) {
        throw invalid(
          `${where}.shape must list integer dimensions, -1 for variable ones, starting with ` +
            "the batch dimension -1 (the mock backend batches)",
        );
      }
      return { name, datatype: datatype as Datatype, shape: shape as number[] };
    });
  };

  const inputs = specs("inputs");
  for (const input of inputs) {
    if (!isNumericDatatype(input.datatype)) {
      throw invalid(
        `input "${input.name}" is ${input.datatype}; the mock backend sums input elements, so ` +
          "declare a numeric datatype (BOOL, integers, FP32 or FP64)",
      );
    }
  }
  const outputs = specs("outputs");
  for (const output of outputs) {
    if (!OUTPUT_DATATYPES.includes(output.datatype)) {
      throw invalid(`output "${output.name}" is ${output.datatype}; declare FP32 or FP64`);
    }
    if (output.shape.slice(1).includes(-1)) {
      throw invalid(
        `output "${output.name}" has a variable non-batch dimension; the mock backend needs ` +
          "fixed output dimensions after the batch dimension",
      );
    }
  }

  const nonNegative = (key: string): number => {
    const value = parameters[key] ?? 0;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw invalid(`parameters.${key} must be a non-negative number of microseconds`);
    }
    return value;
  };

  const crashOnRows = parameters.crash_on_rows;
  if (
    crashOnRows !== undefined &&
    !(Number.isInteger(crashOnRows) && (crashOnRows as number) > 0)
  ) {
    throw invalid("parameters.crash_on_rows must be a positive integer (a batch size)");
  }

  return {
    signature: { inputs, outputs },
    fixedLatencyUs: nonNegative("fixed_latency_us"),
    perRowLatencyUs: nonNegative("per_row_latency_us"),
    crashOnRows: crashOnRows as number | undefined,
  };
}
