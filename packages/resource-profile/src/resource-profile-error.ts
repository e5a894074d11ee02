/**
 * The closed set of error codes of `@gpu-sidecar/resource-profile`. They are stable strings
 * (prefix `RP_ERR_`) because they reach users and logs, and callers branch on them.
 */
export const ResourceProfileErrorCode = {
  /** A value (decimal amount, multiplier, slot count, option) is out of its domain. */
  InvalidArgument: "RP_ERR_INVALID_ARGUMENT",
  /** A memory size is not a non-negative whole number of bytes with a known unit. */
  InvalidMemorySize: "RP_ERR_INVALID_MEMORY_SIZE",
  /** A worker configuration key, value or line is malformed or inconsistent. */
  InvalidConfig: "RP_ERR_INVALID_CONFIG",
  /** An extended resource name was required but is not declared. */
  UnknownResource: "RP_ERR_UNKNOWN_RESOURCE",
  /** The operation has no meaning for `UNKNOWN` or `ANY` (e.g. reading a field). */
  UnsupportedOperation: "RP_ERR_UNSUPPORTED_OPERATION",
  /** `subtract` of a profile that is not covered field by field. */
  InsufficientResources: "RP_ERR_INSUFFICIENT_RESOURCES",
  /** `ResourceProfile.fromJSON` got a value that is not a serialized profile. */
  InvalidJson: "RP_ERR_INVALID_JSON",
  /** Fewer GPUs are free than were requested. */
  NotEnoughGpus: "RP_ERR_NOT_ENOUGH_GPUS",
  /** The discovery command does not exist (ENOENT). */
  DiscoveryCommandNotFound: "RP_ERR_DISCOVERY_COMMAND_NOT_FOUND",
  /** The discovery command printed something that is not the expected CSV. */
  DiscoveryOutputInvalid: "RP_ERR_DISCOVERY_OUTPUT_INVALID",
  /** The discovery command did not finish in time and was killed. */
  DiscoveryTimeout: "RP_ERR_DISCOVERY_TIMEOUT",
  /** The discovery command exited non-zero, was killed by a signal, or could not start. */
  DiscoveryFailed: "RP_ERR_DISCOVERY_FAILED",
  /** The coordination lock or state file could not be used. */
  CoordinationFailed: "RP_ERR_COORDINATION_FAILED",
  /** Anything else, normalized by `ResourceProfileError.from`. */
  Internal: "RP_ERR_INTERNAL",
} as const;

export type ResourceProfileErrorCode =
  (typeof ResourceProfileErrorCode)[keyof typeof ResourceProfileErrorCode];

const codes = new Set<string>(Object.values(ResourceProfileErrorCode));

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/**
 * Marks every ResourceProfileError, whichever copy of this module made it: an application can
 * load the ESM and the CJS build (or two installed versions) at once, and each has its own class.
 */
const BRAND = Symbol.for("@gpu-sidecar/resource-profile/ResourceProfileError");

/** The one error class of this package; `code` says what went wrong, the message says where. */
export class ResourceProfileError extends Error {
  static {
    Object.defineProperty(ResourceProfileError.prototype, BRAND, { value: true });
    // The bundler renames a class with static members (`_ResourceProfileError`), which stacks and logs show.
    Object.defineProperty(ResourceProfileError, "name", { value: "ResourceProfileError" });
  }

  /** `instanceof ResourceProfileError` holds for one made by any copy of this module. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof, maybe a subclass.
    if (this !== ResourceProfileError) return ordinaryHasInstance.call(this, value);
    return typeof value === "object" && value !== null && BRAND in value;
  }

  override readonly name = "ResourceProfileError";
  readonly code: ResourceProfileErrorCode;

  constructor(code: ResourceProfileErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Normalizes anything thrown into a ResourceProfileError, keeping the original as `cause`. */
  static from(
    reason: unknown,
    fallback: ResourceProfileErrorCode = ResourceProfileErrorCode.Internal,
  ): ResourceProfileError {
    if (reason instanceof ResourceProfileError) return reason;
    if (reason instanceof Error) {
      const code = (reason as { code?: unknown }).code;
      const known =
        typeof code === "string" && codes.has(code) ? (code as ResourceProfileErrorCode) : fallback;
      return new ResourceProfileError(known, reason.message, { cause: reason });
    }
    return new ResourceProfileError(fallback, String(reason), { cause: reason });
  }
}
