import type { Datatype, Tensor } from "./tensor.js";

/** One input or output of a model. `-1` marks a variable dimension (the batch dimension too). */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

export interface ModelSignature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/**
 * Where one model instance runs: the CPU, or one GPU, named by the CUDA device number this
 * process gives it (onnxruntime's `device_id`) and by `nvidia-smi`'s index and uuid.
 */
export type InstanceDevice =
  | { readonly kind: "cpu" }
  | {
      readonly kind: "gpu";
      readonly cudaDevice: number;
      readonly index: number;
      readonly uuid: string;
    };

/** What a backend needs to load one version of one model. */
export interface ModelLoadRequest {
  readonly name: string;
  readonly version: string;
  /** Directory `<repo>/<model>/<version>`. */
  readonly versionPath: string;
  /** Backend-specific settings from the model config (e.g. execution providers). */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** The device of the instance being loaded; absent: the CPU. */
  readonly device?: InstanceDevice;
}

/**
 * A loaded model instance. `run` receives a whole batch (batch dimension first) and returns
 * the requested outputs, every one with the same batch size as the inputs.
 */
export interface LoadedModel {
  readonly signature: ModelSignature;
  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>;
  unload(): Promise<void>;
}

/** The small surface every backend (onnx, mock, later TensorRT or a remote Triton) implements. */
export interface Backend {
  readonly name: string;
  load(request: ModelLoadRequest): Promise<LoadedModel>;
}
