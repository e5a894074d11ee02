/**
 * The closed set of error codes that cross the sidecar's process boundary. They are the
 * gRPC status names, so a server maps them 1:1 to gRPC codes and HTTP statuses and a client
 * can branch on them whichever transport carried the error.
 */
export const ErrorCode = {
  InvalidArgument: "INVALID_ARGUMENT",
  NotFound: "NOT_FOUND",
  AlreadyExists: "ALREADY_EXISTS",
  FailedPrecondition: "FAILED_PRECONDITION",
  ResourceExhausted: "RESOURCE_EXHAUSTED",
  DeadlineExceeded: "DEADLINE_EXCEEDED",
  Cancelled: "CANCELLED",
  Unavailable: "UNAVAILABLE",
  Unimplemented: "UNIMPLEMENTED",
  Internal: "INTERNAL",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const codes = new Set<string>(Object.values(ErrorCode));

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/**
 * Marks every SidecarError, whichever copy of this module made it: an application can load the
 * ESM and the CJS build (or two installed versions) at once, and each has its own class.
 */
const BRAND = Symbol.for("@gpu-sidecar/sidecar-core/SidecarError");

/** The one error class of sidecar-core and of everything built on its contracts. */
export class SidecarError extends Error {
  static {
    Object.defineProperty(SidecarError.prototype, BRAND, { value: true });
    // The bundler renames a class with static members (`_SidecarError`), which stacks and logs show.
    Object.defineProperty(SidecarError, "name", { value: "SidecarError" });
  }

  /**
   * `instanceof SidecarError` holds for a SidecarError of any copy of this module (the
   * dual-package hazard); subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof, maybe a subclass.
    if (this !== SidecarError) return ordinaryHasInstance.call(this, value);
    return typeof value === "object" && value !== null && BRAND in value;
  }

  override readonly name = "SidecarError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Normalizes anything thrown into a SidecarError, keeping the original as `cause`. */
  static from(reason: unknown, fallback: ErrorCode = ErrorCode.Internal): SidecarError {
    if (reason instanceof SidecarError) return reason;
    if (reason instanceof Error) {
      const code = (reason as { code?: unknown }).code;
      const known = typeof code === "string" && codes.has(code) ? (code as ErrorCode) : fallback;
      return new SidecarError(known, reason.message, { cause: reason });
    }
    return new SidecarError(fallback, String(reason), { cause: reason });
  }
}
