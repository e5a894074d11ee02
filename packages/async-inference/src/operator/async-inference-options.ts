import type { Tensor } from "@gpu-sidecar/sidecar-core";
import type { Meter } from "@opentelemetry/api";
import type { InferenceFailure } from "./inference-failure.js";
import type { RetryStrategy } from "./retry-strategy.js";

/** What the operator hands to `infer` besides the input tensors. */
export interface InferContext {
  /** Aborted when every record of the call timed out, or the stream failed, was cancelled or was abandoned. */
  readonly signal: AbortSignal;
  /** The `priority` option, for the sidecar's priority levels. */
  readonly priority?: number;
  /** Milliseconds left before the earliest deadline among the call's records, so the server can drop it in time. */
  readonly timeoutMs?: number;
}

/** The injected model call: the sidecar client's `infer` bound to one model, or a fake. */
export type InferFunction = (inputs: Tensor[], context: InferContext) => Promise<Tensor[]>;

/** What happens to a record whose deadline passes. */
export type TimeoutAction<R, Out> =
  /** The record fails with DEADLINE_EXCEEDED, handled as `onError` says. */
  | "fail"
  /** The record is dropped: nothing is emitted for it. */
  | "drop"
  /** The record's result is this default value. */
  | { readonly emit: (record: R) => Out };

/** What happens to a record whose inference failed for good. */
export type ErrorAction =
  /** The stream errors with the record's error and every call in flight is aborted. */
  | "fail"
  /** An `InferenceFailure` is emitted in the record's place and the stream goes on. */
  | "emit";

/** Coalescing: several records travel in one `infer` call, their tensors concatenated along dim 0. */
export interface BatchOptions {
  /** Most rows in one call. */
  readonly maxRows: number;
  /** Longest time the first record of a partial batch waits for company. */
  readonly maxDelayMs: number;
}

/**
 * Options of `asyncInference`. `In` is the source's element type, `W` the watermark
 * elements among them (named by `isWatermark`), `Out` a record's result, `E` the error action.
 */
export interface AsyncInferenceOptions<
  In,
  Out,
  W extends In = never,
  E extends ErrorAction = "fail",
> {
  readonly infer: InferFunction;
  /** A record's input tensors, one row each (batch dimension 1). */
  readonly encode: (record: Exclude<In, W>) => Tensor[];
  /** A record's result from its own rows of the output tensors. */
  readonly decode: (outputs: Tensor[], record: Exclude<In, W>) => Out;
  /** Most elements inside the operator, waiting for a result or for their turn to be emitted. Default 100. */
  readonly capacity?: number;
  /** Emit in input order (true, default) or as results arrive, within watermark bounds (false). */
  readonly ordered?: boolean;
  /** Marks the watermark elements, which pass through in place and bound reordering. Default: none. */
  readonly isWatermark?: (element: In) => element is W;
  /** Deadline of a record, first attempt through last retry, in ms. Default 180000; `Infinity` disables it. */
  readonly timeoutMs?: number;
  /** Default "fail". */
  readonly onTimeout?: TimeoutAction<Exclude<In, W>, Out>;
  /** Default: no retry. */
  readonly retry?: RetryStrategy<Out>;
  /** Default "fail". */
  readonly onError?: E;
  /** Default: one record per call. */
  readonly batch?: BatchOptions;
  /** Passed to every call as `context.priority` (1 is the highest level, 0 the model's default). Default: none. */
  readonly priority?: number;
  /** Cancels the stream: calls in flight are aborted and the stream errors with CANCELLED. */
  readonly signal?: AbortSignal;
  /** Meter for the `model_inference.*` instruments. Default: `metrics.getMeter("@gpu-sidecar/async-inference")`. */
  readonly meter?: Meter;
  /** The `model` attribute of every measurement. Default: none. */
  readonly modelName?: string;
}

/** An element of the output: a result, a watermark passed through, or (with `onError: "emit"`) a failure. */
export type AsyncInferenceOutput<In, Out, W extends In, E extends ErrorAction> =
  | Out
  | W
  | (E extends "emit" ? InferenceFailure<Exclude<In, W>> : never);
