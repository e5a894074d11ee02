import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";

/** Options every client call takes. */
export interface CallOptions {
  /** Cancels the call; the sidecar drops a cancelled request from its queue. */
  readonly signal?: AbortSignal;
  /**
   * Deadline of the whole call, failovers included, in milliseconds. Sent as the gRPC
   * deadline, so the server stops waiting for it too. Default: none.
   */
  readonly timeoutMs?: number;
}

/** Options of one inference. */
export interface InferOptions extends CallOptions {
  /**
   * The request's priority level (Triton's `priority` parameter): 1 is the highest, 0 means
   * the model's default. Default: not sent.
   */
  readonly priority?: number;
  /** The outputs to return, in this order. Default: every output of the model. */
  readonly outputs?: readonly string[];
  /** The model version. Default: the server's default version. */
  readonly version?: string;
}

function invalidOption(call: string, option: string, value: unknown, expected: string) {
  return new SidecarError(
    ErrorCode.InvalidArgument,
    `${call}: option ${option} is ${typeof value === "string" ? JSON.stringify(value) : String(value)}, expected ${expected}`,
  );
}

/** Throws INVALID_ARGUMENT naming the option when `timeoutMs` is given and not a positive number. */
export function checkCallOptions(call: string, options: CallOptions): void {
  const { timeoutMs } = options;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw invalidOption(call, "timeoutMs", timeoutMs, "a positive number of milliseconds");
  }
}

/** `checkCallOptions` plus the inference options. */
export function checkInferOptions(call: string, options: InferOptions): void {
  checkCallOptions(call, options);
  const { priority, outputs } = options;
  if (priority !== undefined && !(Number.isSafeInteger(priority) && priority >= 0)) {
    throw invalidOption(call, "priority", priority, "an integer ≥ 0 (1 is the highest level)");
  }
  if (outputs !== undefined) {
    for (const name of outputs) {
      if (typeof name !== "string" || name === "") {
        throw invalidOption(call, "outputs", name, "output tensor names");
      }
    }
  }
}

/** Throws INVALID_ARGUMENT unless `model` is a non-empty string. */
export function checkModelName(call: string, model: unknown): void {
  if (typeof model !== "string" || model === "") {
    throw new SidecarError(
      ErrorCode.InvalidArgument,
      `${call}: model is ${typeof model === "string" ? '""' : String(model)}, expected a model name`,
    );
  }
}
