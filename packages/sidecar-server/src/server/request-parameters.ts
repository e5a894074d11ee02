import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";

/** The scheduling a request asks for through Triton's `priority` and `timeout` parameters. */
export interface RequestScheduling {
  /** 1 is the highest; absent, 0 or past the model's levels: the model's default. */
  readonly priority?: number;
  /** Queue timeout in microseconds; absent: the model's default. */
  readonly timeoutUs?: number;
}

/**
 * A non-negative integer parameter. With `saturate`, integers past 2^53 (a uint64 priority)
 * read as `Number.MAX_SAFE_INTEGER`: only their order matters.
 */
function nonNegativeInteger(key: string, value: unknown, saturate = false): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === "bigint" ? Number(value) : value;
  if (saturate && typeof number === "number" && Number.isInteger(number) && number > 0) {
    return Math.min(number, Number.MAX_SAFE_INTEGER);
  }
  if (typeof number !== "number" || !Number.isSafeInteger(number) || number < 0) {
    throw new SidecarError(
      ErrorCode.InvalidArgument,
      `parameter "${key}" is ${typeof value === "string" ? JSON.stringify(value) : String(value)}, expected a non-negative integer`,
    );
  }
  return number;
}

/**
 * Reads `priority` and `timeout` (microseconds) from a request's parameters, whichever protocol
 * carried them, and lowers the timeout to the RPC's own deadline: a request may only shorten
 * how long it waits, and waiting past the deadline helps nobody.
 */
export function readScheduling(
  parameter: (key: string) => unknown,
  deadlineMs: number | undefined,
): RequestScheduling {
  // Past the model's lowest level it means the default level (Triton), however large.
  const priority = nonNegativeInteger("priority", parameter("priority"), true);
  const timeout = nonNegativeInteger("timeout", parameter("timeout"));
  // A deadline that has already passed still needs a positive timeout: 0 means "none".
  const deadlineUs =
    deadlineMs === undefined ? undefined : Math.max(1, Math.floor(deadlineMs * 1000));
  const candidates = [timeout || undefined, deadlineUs].filter((us) => us !== undefined);
  const timeoutUs = candidates.length > 0 ? Math.min(...candidates) : undefined;
  return {
    ...(priority === undefined ? {} : { priority }),
    ...(timeoutUs === undefined ? {} : { timeoutUs }),
  };
}
