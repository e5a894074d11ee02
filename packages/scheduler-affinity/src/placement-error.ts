/**
 * The closed set of error codes of `@gpu-sidecar/scheduler-affinity`. Stable strings (prefix
 * `SA_ERR_`): they reach users, logs and the extender's `Error` field, and callers branch on them.
 */
export const PlacementErrorCode = {
  /** An option, registration or request field is out of its domain. */
  InvalidArgument: "SA_ERR_INVALID_ARGUMENT",
  /** A worker or request id is used twice, or an id is unknown. */
  UnknownId: "SA_ERR_UNKNOWN_ID",
  DuplicateId: "SA_ERR_DUPLICATE_ID",
  /** No registered worker could ever hold the request, whatever is released. */
  NeverFits: "SA_ERR_NEVER_FITS",
  /** The request needs a model that no sidecar serves. */
  UnknownModel: "SA_ERR_UNKNOWN_MODEL",
  /** An event subscriber fell further behind than its buffer allows. */
  EventsOverflow: "SA_ERR_EVENTS_OVERFLOW",
  /** The engine was closed. */
  Closed: "SA_ERR_CLOSED",
  /** An extender request body is not what kube-scheduler sends. */
  InvalidExtenderArgs: "SA_ERR_INVALID_EXTENDER_ARGS",
  /** Anything else, normalized by `PlacementError.from`. */
  Internal: "SA_ERR_INTERNAL",
} as const;

export type PlacementErrorCode = (typeof PlacementErrorCode)[keyof typeof PlacementErrorCode];

const codes = new Set<string>(Object.values(PlacementErrorCode));

/** The one error class of this package; `code` says what went wrong, the message says where. */
export class PlacementError extends Error {
  override readonly name = "PlacementError";
  readonly code: PlacementErrorCode;

  constructor(code: PlacementErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Normalizes anything thrown into a PlacementError, keeping the original as `cause`. */
  static from(
    reason: unknown,
    fallback: PlacementErrorCode = PlacementErrorCode.Internal,
  ): PlacementError {
    if (reason instanceof PlacementError) return reason;
    if (reason instanceof Error) {
      const code = (reason as { code?: unknown }).code;
      const known =
        typeof code === "string" && codes.has(code) ? (code as PlacementErrorCode) : fallback;
      return new PlacementError(known, reason.message, { cause: reason });
    }
    return new PlacementError(fallback, String(reason), { cause: reason });
  }
}
