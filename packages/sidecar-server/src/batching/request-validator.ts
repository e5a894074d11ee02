import {
  ErrorCode,
  type ModelSignature,
  SidecarError,
  type Tensor,
  validateAgainstSpec,
} from "@gpu-sidecar/sidecar-core";
import type { BatcherSettings } from "./batcher-config.js";
import { createTensorNameIndex, type TensorNameIndex } from "./tensor-name-index.js";

/** A request checked against the model, ready to queue. */
export interface ValidatedRequest {
  /** In signature order, named as the model names them. */
  readonly inputs: readonly Tensor[];
  /** Requested outputs as the model names them. */
  readonly outputNames: readonly string[];
  /** Requested outputs as the client spelled them. */
  readonly outputLabels: readonly string[];
  /** Batch rows (dim 0); 1 for a model without batching. */
  readonly rows: number;
  readonly byteLength: number;
}

function invalid(tensorName: string, problem: string): SidecarError {
  return new SidecarError(
    ErrorCode.InvalidArgument,
    `tensor ${JSON.stringify(tensorName)}: ${problem}`,
  );
}

function quoted(names: readonly string[]): string {
  return names.map((name) => JSON.stringify(name)).join(", ");
}

/**
 * Checks a request against the model's signature before it may join a batch, so that one bad
 * request is refused alone and never fails its neighbours: every input known (exact name, else
 * case-insensitive), none twice, none missing; datatype, rank, fixed dimensions and byte size
 * (the codec's `validateAgainstSpec`); one row count across inputs; padded lengths within
 * their `max_length`; requested outputs known and not repeated (default: all of them).
 */
export class RequestValidator {
  readonly #signature: ModelSignature;
  readonly #settings: Pick<BatcherSettings, "maxBatchSize" | "padding">;
  readonly #inputNames: readonly string[];
  readonly #outputNames: readonly string[];
  readonly #inputIndex: TensorNameIndex;
  readonly #outputIndex: TensorNameIndex;

  constructor(
    signature: ModelSignature,
    settings: Pick<BatcherSettings, "maxBatchSize" | "padding">,
  ) {
    this.#signature = signature;
    this.#settings = settings;
    this.#inputNames = signature.inputs.map((spec) => spec.name);
    this.#outputNames = signature.outputs.map((spec) => spec.name);
    this.#inputIndex = createTensorNameIndex(this.#inputNames);
    this.#outputIndex = createTensorNameIndex(this.#outputNames);
  }

  /** Throws INVALID_ARGUMENT naming the offending tensor. */
  validate(inputs: readonly Tensor[], outputs: readonly string[] | undefined): ValidatedRequest {
    const ordered = this.#orderInputs(inputs);
    const named: Tensor[] = [];
    let rows = 1;
    let byteLength = 0;
    this.#signature.inputs.forEach((spec, index) => {
      const input = ordered[index] as Tensor;
      // Validate under the client's spelling so that messages name what the client sent.
      validateAgainstSpec(input, input.name === spec.name ? spec : { ...spec, name: input.name });
      if (this.#settings.maxBatchSize > 0) rows = this.#checkRows(input, index, rows, ordered);
      this.#checkPaddedLength(input, index);
      byteLength += input.data.byteLength;
      named.push(input.name === spec.name ? input : { ...input, name: spec.name });
    });
    const [outputNames, outputLabels] = this.#resolveOutputs(outputs);
    return { inputs: named, outputNames, outputLabels, rows, byteLength };
  }

  /** Every slot filled, in signature order; throws on unknown, repeated or missing inputs. */
  #orderInputs(inputs: readonly Tensor[]): Tensor[] {
    const ordered = new Array<Tensor | undefined>(this.#inputNames.length);
    for (const input of inputs) {
      const index = this.#inputIndex.find(input.name);
      if (index === undefined) {
        throw invalid(
          input.name,
          `is not an input of the model, expected one of ${quoted(this.#inputNames)}`,
        );
      }
      const earlier = ordered[index];
      if (earlier !== undefined) {
        throw invalid(input.name, `is given twice (also as "${earlier.name}")`);
      }
      ordered[index] = input;
    }
    const missing = this.#inputNames.filter((_, index) => ordered[index] === undefined);
    if (missing.length > 0) {
      throw new SidecarError(ErrorCode.InvalidArgument, `missing model inputs ${quoted(missing)}`);
    }
    return ordered as Tensor[];
  }

  #checkRows(input: Tensor, index: number, rowsSoFar: number, ordered: readonly Tensor[]): number {
    const rows = input.shape[0] ?? 0;
    if (rows < 1) throw invalid(input.name, "has 0 rows, expected at least 1");
    if (index > 0 && rows !== rowsSoFar) {
      throw invalid(
        input.name,
        `has ${rows} rows, expected ${rowsSoFar} like tensor ${JSON.stringify(ordered[0]?.name)}`,
      );
    }
    return rows;
  }

  #checkPaddedLength(input: Tensor, index: number): void {
    const padding = this.#settings.padding[index];
    if (padding?.maxLength === undefined) return;
    const length = input.shape[padding.axis] ?? 0;
    if (length > padding.maxLength) {
      throw invalid(
        input.name,
        `length ${length} on axis ${padding.axis} is longer than the padding max_length ${padding.maxLength}`,
      );
    }
  }

  #resolveOutputs(
    requested: readonly string[] | undefined,
  ): [readonly string[], readonly string[]] {
    if (requested === undefined || requested.length === 0)
      return [this.#outputNames, this.#outputNames];
    const names: string[] = [];
    for (const label of requested) {
      const index = this.#outputIndex.find(label);
      if (index === undefined) {
        throw invalid(
          label,
          `is not an output of the model, expected one of ${quoted(this.#outputNames)}`,
        );
      }
      const name = this.#outputNames[index] as string;
      if (names.includes(name)) throw invalid(label, "is requested twice");
      names.push(name);
    }
    return [names, requested];
  }
}

export function createRequestValidator(
  signature: ModelSignature,
  settings: Pick<BatcherSettings, "maxBatchSize" | "padding">,
): RequestValidator {
  return new RequestValidator(signature, settings);
}
