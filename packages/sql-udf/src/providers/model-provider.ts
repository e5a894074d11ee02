import type { BatchOptions, InferFunction, ModelMetadata } from "@gpu-sidecar/async-inference";

/** A model's server, as ML_PREDICT uses it: its signature, its call and how calls batch. */
export interface ModelProvider {
  /** The endpoint(s) as configured, for messages. */
  readonly endpoint: string;
  /**
   * How a column's tensor is named on the wire: Flink's Triton provider upper-cases the column
   * name; our client sends the served tensor's own name.
   */
  readonly wireName: (column: string, served: string) => string;
  /** The served signature (`ModelMetadata`); rejects with a SidecarError when unreachable. */
  metadata(signal?: AbortSignal): Promise<ModelMetadata>;
  /** The model call for the stream operator, asking for `outputs` (wire names) in that order. */
  inferFunction(outputs: readonly string[]): InferFunction;
  /** Coalescing of rows into one call; absent: one row per call. */
  readonly batch: BatchOptions | undefined;
  close(): Promise<void>;
}
