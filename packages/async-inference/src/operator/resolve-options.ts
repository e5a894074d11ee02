import { ErrorCode, SidecarError, type Tensor } from "@gpu-sidecar/sidecar-core";
import type {
  AsyncInferenceOptions,
  BatchOptions,
  ErrorAction,
  InferFunction,
  TimeoutAction,
} from "./async-inference-options.js";
import type { RetryStrategy } from "./retry-strategy.js";

/** Flink's default for `table.exec.async-ml-predict.timeout`: three minutes. */
const DEFAULT_TIMEOUT_MS = 180_000;
const DEFAULT_CAPACITY = 100;
/** Node's timers overflow past this (about 24.8 days) and fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
const DEFAULT_RETRYABLE = new Set<ErrorCode>([ErrorCode.Unavailable, ErrorCode.ResourceExhausted]);

/** The options with defaults applied and every value checked, as the operator reads them. */
export interface ResolvedOptions<In, Out> {
  readonly infer: InferFunction;
  readonly encode: (record: In) => Tensor[];
  readonly decode: (outputs: Tensor[], record: In) => Out;
  readonly capacity: number;
  readonly ordered: boolean;
  readonly isWatermark: ((element: In) => boolean) | undefined;
  readonly timeoutMs: number;
  readonly onTimeout: TimeoutAction<In, Out>;
  readonly retry: RetryStrategy<Out> | undefined;
  readonly maxAttempts: number;
  readonly retryOnError: (code: ErrorCode, error: SidecarError) => boolean;
  readonly retryOnResult: ((result: Out) => boolean) | undefined;
  readonly onError: ErrorAction;
  readonly batch: BatchOptions | undefined;
  readonly priority: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * Checks the options and applies the defaults. Records and watermarks share one element type
 * here: the public generics only serve the caller's type checking.
 */
export function resolveOptions<In, Out, W extends In, E extends ErrorAction>(
  options: AsyncInferenceOptions<In, Out, W, E>,
): ResolvedOptions<In, Out> {
  requireFunction("infer", options.infer);
  requireFunction("encode", options.encode);
  requireFunction("decode", options.decode);
  const capacity = options.capacity ?? DEFAULT_CAPACITY;
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw invalidOption("capacity", capacity, "an integer ≥ 1");
  }
  const ordered = options.ordered ?? true;
  if (typeof ordered !== "boolean") throw invalidOption("ordered", ordered, "true or false");
  if (options.isWatermark !== undefined) requireFunction("isWatermark", options.isWatermark);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!((timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS) || timeoutMs === Number.POSITIVE_INFINITY)) {
    throw invalidOption("timeoutMs", timeoutMs, `a number > 0 and ≤ ${MAX_TIMER_MS}, or Infinity`);
  }
  const onTimeout = options.onTimeout ?? "fail";
  if (
    onTimeout !== "fail" &&
    onTimeout !== "drop" &&
    !(typeof onTimeout === "object" && onTimeout !== null && typeof onTimeout.emit === "function")
  ) {
    throw invalidOption("onTimeout", onTimeout, '"fail", "drop" or { emit: (record) => result }');
  }
  const onError = options.onError ?? "fail";
  if (onError !== "fail" && onError !== "emit") {
    throw invalidOption("onError", onError, '"fail" or "emit"');
  }
  const retry = options.retry;
  if (retry !== undefined) checkRetry(retry);
  const batch = options.batch;
  if (batch !== undefined) {
    if (!Number.isSafeInteger(batch.maxRows) || batch.maxRows < 1) {
      throw invalidOption("batch.maxRows", batch.maxRows, "an integer ≥ 1");
    }
    requireDelay("batch.maxDelayMs", batch.maxDelayMs);
  }
  const priority = options.priority;
  if (priority !== undefined && !(Number.isSafeInteger(priority) && priority >= 0)) {
    throw invalidOption(
      "priority",
      priority,
      "an integer ≥ 0 (1 is the highest level, 0 the model's default)",
    );
  }
  return {
    infer: options.infer,
    // Records and watermarks are told apart at run time by `isWatermark`.
    encode: options.encode as (record: In) => Tensor[],
    decode: options.decode as (outputs: Tensor[], record: In) => Out,
    capacity,
    ordered,
    isWatermark: options.isWatermark,
    timeoutMs,
    onTimeout: onTimeout as TimeoutAction<In, Out>,
    retry,
    maxAttempts: retry?.maxAttempts ?? 1,
    retryOnError: retry?.retryOnError ?? ((code) => DEFAULT_RETRYABLE.has(code)),
    retryOnResult: retry?.retryOnResult,
    onError,
    batch,
    priority,
    signal: options.signal,
  };
}

function checkRetry<Out>(retry: RetryStrategy<Out>): void {
  if (retry.strategy === "fixed") {
    requireDelay("retry.delayMs", retry.delayMs);
  } else if (retry.strategy === "exponential") {
    requireDelay("retry.initialDelayMs", retry.initialDelayMs);
    requireDelay("retry.maxDelayMs", retry.maxDelayMs);
    if (retry.maxDelayMs < retry.initialDelayMs) {
      throw invalidOption(
        "retry.maxDelayMs",
        retry.maxDelayMs,
        `a number ≥ retry.initialDelayMs (${retry.initialDelayMs})`,
      );
    }
    const multiplier = retry.multiplier ?? 2;
    if (!(multiplier >= 1 && Number.isFinite(multiplier))) {
      throw invalidOption("retry.multiplier", multiplier, "a finite number ≥ 1");
    }
    const jitter = retry.jitter ?? 0;
    if (!(jitter >= 0 && jitter <= 1))
      throw invalidOption("retry.jitter", jitter, "a number from 0 to 1");
  } else {
    throw invalidOption(
      "retry.strategy",
      (retry as { strategy: unknown }).strategy,
      '"fixed" or "exponential"',
    );
  }
  if (!Number.isSafeInteger(retry.maxAttempts) || retry.maxAttempts < 1) {
    throw invalidOption(
      "retry.maxAttempts",
      retry.maxAttempts,
      "an integer ≥ 1 (attempts in total, the first included)",
    );
  }
  if (retry.retryOnError !== undefined) requireFunction("retry.retryOnError", retry.retryOnError);
  if (retry.retryOnResult !== undefined)
    requireFunction("retry.retryOnResult", retry.retryOnResult);
}

function requireDelay(name: string, value: number): void {
  if (!(value >= 0 && value <= MAX_TIMER_MS)) {
    throw invalidOption(name, value, `a number from 0 to ${MAX_TIMER_MS}`);
  }
}

function requireFunction(name: string, value: unknown): void {
  if (typeof value !== "function") throw invalidOption(name, value, "a function");
}

function invalidOption(name: string, value: unknown, expected: string): SidecarError {
  return new SidecarError(
    ErrorCode.InvalidArgument,
    `asyncInference: option ${name} is ${describe(value)}, expected ${expected}`,
  );
}

function describe(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}
