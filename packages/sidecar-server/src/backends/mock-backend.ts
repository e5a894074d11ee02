import { isMainThread } from "node:worker_threads";
import {
  type Backend,
  ErrorCode,
  type LoadedModel,
  type ModelLoadRequest,
  SidecarError,
  type Tensor,
  type TensorSpec,
} from "@gpu-sidecar/sidecar-core";
import { elementReader, isNumericDatatype } from "./element-reader.js";
import { type MockParameters, parseMockParameters } from "./mock-parameters.js";
import { defaultSleep, type Sleep } from "./sleep.js";

export interface MockBackendOptions {
  /** How the latency model's time is spent; by default {@link defaultSleep}. */
  readonly sleep?: Sleep;
}

/** Exit code of a worker thread ended by `crash_on_rows`, to tell it apart in logs. */
export const MOCK_CRASH_EXIT_CODE = 70;

/**
 * A deterministic CPU stand-in for a real model, so the whole pipeline runs without a GPU.
 *
 * Outputs: every element of row `r` of every output is `1 / (1 + exp(-m))`, where `m` is the
 * mean of all elements of row `r` across all inputs. Latency: each batch takes
 * `fixed_latency_us + rows * per_row_latency_us`. Signature: `parameters.inputs` and
 * `parameters.outputs`. See {@link MockParameters} for every setting.
 */
export function createMockBackend(options: MockBackendOptions = {}): Backend {
  const sleep = options.sleep ?? defaultSleep();
  return {
    name: "mock",
    async load(request) {
      const parameters = parseMockParameters(request);
      if (parameters.crashOnRows !== undefined && isMainThread) {
        throw new SidecarError(
          ErrorCode.InvalidArgument,
          `mock model "${request.name}": crash_on_rows ends the thread that runs the model, ` +
            "which on the main thread is the whole sidecar; use it only with executor workers",
        );
      }
      return createMockModel(request, parameters, sleep);
    },
  };
}

function createMockModel(
  request: ModelLoadRequest,
  parameters: MockParameters,
  sleep: Sleep,
): LoadedModel {
  const { signature, fixedLatencyUs, perRowLatencyUs, crashOnRows } = parameters;
  const invalid = (what: string) =>
    new SidecarError(ErrorCode.InvalidArgument, `mock model "${request.name}": ${what}`);

  const checkInputs = (inputs: readonly Tensor[]): number => {
    const rows = inputs[0]?.shape[0] ?? 0;
    for (const spec of signature.inputs) {
      const matching = inputs.filter((input) => input.name === spec.name);
      if (matching.length !== 1) {
        throw invalid(
          `expected input "${spec.name}" exactly once, got it ${matching.length} times`,
        );
      }
    }
    for (const input of inputs) {
      const spec = signature.inputs.find(({ name }) => name === input.name);
      if (spec === undefined) throw invalid(`unknown input "${input.name}"`);
      if (input.datatype !== spec.datatype || !isNumericDatatype(input.datatype)) {
        throw invalid(`input "${input.name}" must be ${spec.datatype}, got ${input.datatype}`);
      }
      const elements = input.shape.reduce((product, dim) => product * dim, 1);
      if (input.shape[0] !== rows) {
        throw invalid(`input "${input.name}" has ${input.shape[0]} rows, other inputs ${rows}`);
      }
      if (input.data.byteLength !== elements * elementReader(input.datatype).bytes) {
        throw invalid(
          `input "${input.name}" holds ${input.data.byteLength} bytes, its shape ` +
            `[${input.shape.join(", ")}] needs ${elements * elementReader(input.datatype).bytes}`,
        );
      }
    }
    return rows;
  };

  return {
    signature,
    async run(inputs, outputNames) {
      const outputs = outputNames.map((name) => {
        const spec = signature.outputs.find((output) => output.name === name);
        if (spec === undefined) throw invalid(`unknown output "${name}"`);
        return spec;
      });
      const rows = checkInputs(inputs);
      if (rows === crashOnRows) process.exit(MOCK_CRASH_EXIT_CODE);
      const latencyUs = fixedLatencyUs + rows * perRowLatencyUs;
      if (latencyUs > 0) await sleep(latencyUs);
      const scores = rowScores(inputs, rows);
      return outputs.map((spec) => scoreTensor(spec, scores));
    },
    async unload() {},
  };
}

/** `1 / (1 + exp(-mean))` of each row's elements across all inputs. */
function rowScores(inputs: readonly Tensor[], rows: number): Float64Array {
  const sums = new Float64Array(rows);
  let elementsPerRow = 0;
  for (const input of inputs) {
    if (!isNumericDatatype(input.datatype) || rows === 0) continue;
    const reader = elementReader(input.datatype);
    const view = new DataView(input.data.buffer, input.data.byteOffset, input.data.byteLength);
    const perRow = input.data.byteLength / reader.bytes / rows;
    elementsPerRow += perRow;
    for (let row = 0; row < rows; row++) {
      let sum = 0;
      for (let i = 0; i < perRow; i++) sum += reader.read(view, (row * perRow + i) * reader.bytes);
      sums[row] = (sums[row] ?? 0) + sum;
    }
  }
  return sums.map((sum) => 1 / (1 + Math.exp(-(elementsPerRow === 0 ? 0 : sum / elementsPerRow))));
}

function scoreTensor(spec: TensorSpec, scores: Float64Array): Tensor {
  const rows = scores.length;
  const perRow = spec.shape.slice(1).reduce((product, dim) => product * dim, 1);
  const bytes = spec.datatype === "FP64" ? 8 : 4;
  const data = new Uint8Array(rows * perRow * bytes);
  const view = new DataView(data.buffer);
  for (let row = 0; row < rows; row++) {
    const score = scores[row] ?? 0;
    for (let i = 0; i < perRow; i++) {
      const offset = (row * perRow + i) * bytes;
      if (bytes === 8) view.setFloat64(offset, score, true);
      else view.setFloat32(offset, score, true);
    }
  }
  return { name: spec.name, datatype: spec.datatype, shape: [rows, ...spec.shape.slice(1)], data };
}
