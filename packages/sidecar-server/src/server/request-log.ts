import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import type { Level, Logger } from "pino";

/** Where a request came in and what it named, for its log line. */
export interface RequestLogContext {
  /** `rest` (KServe REST on the HTTP port) or `grpc` (gRPC, gRPC-Web and Connect). */
  readonly protocol: "rest" | "grpc";
  /** The REST method and path, or the RPC's name (`ModelInfer`). */
  readonly method: string;
  readonly model?: string | undefined;
  readonly version?: string | undefined;
}

/**
 * The server's request log: failures at a level that fits their code, rate-limited per code,
 * and an access line per request at debug.
 */
export interface RequestLog {
  /** A request that failed with `reason` (a SidecarError, a ConnectError, anything thrown). */
  failed(context: RequestLogContext, reason: unknown): void;
  /** Whether `access` logs; callers check it first so that a quiet log costs nothing per request. */
  readonly accessEnabled: boolean;
  /** One request that was answered: its status (HTTP status or gRPC code name) and duration. */
  access(context: RequestLogContext, status: number | string, ms: number): void;
}

export interface RequestLogOptions {
  /** Failure lines per code per window; past it lines are counted, then reported. Default 10. */
  readonly burst?: number;
  /** Default 10 s: at most one line a second per code in a sustained flood. */
  readonly windowMs?: number;
  readonly now?: () => number;
}

/**
 * The client's own mistakes are `info` (seen at the default level, so that a refused request
 * can be debugged from the server, but no alarm); overload and deadlines are `warn`, since an
 * operator may have to act; the server's own failures are `error`.
 */
const LEVELS: Readonly<Record<string, Level>> = {
  [ErrorCode.InvalidArgument]: "info",
  [ErrorCode.NotFound]: "info",
  [ErrorCode.AlreadyExists]: "info",
  [ErrorCode.FailedPrecondition]: "info",
  [ErrorCode.Cancelled]: "info",
  [ErrorCode.ResourceExhausted]: "warn",
  [ErrorCode.DeadlineExceeded]: "warn",
  [ErrorCode.Unavailable]: "warn",
  [ErrorCode.Unimplemented]: "warn",
  [ErrorCode.Internal]: "error",
};

interface Failure {
  /** The gRPC status name. */
  readonly code: string;
  readonly reason: string;
  readonly level: Level;
}

/** A ConnectError thrown by the transport itself (a malformed message) still has a status name. */
function failureOf(reason: unknown): Failure {
  if (reason instanceof ConnectError && !(reason.cause instanceof SidecarError)) {
    const code = (Code[reason.code] ?? "Unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
    return { code, reason: reason.rawMessage, level: LEVELS[code] ?? "warn" };
  }
  const error = SidecarError.from(reason instanceof ConnectError ? reason.cause : reason);
  return { code: error.code, reason: error.message, level: LEVELS[error.code] ?? "error" };
}

interface Window {
  startedAt: number;
  logged: number;
  suppressed: number;
}

export function createRequestLog(logger: Logger, options: RequestLogOptions = {}): RequestLog {
  const burst = options.burst ?? 10;
  const windowMs = options.windowMs ?? 10_000;
  const now = options.now ?? (() => performance.now());
  const windows = new Map<string, Window>();

  return {
    failed(context, thrown) {
      const { code, reason, level } = failureOf(thrown);
      if (!logger.isLevelEnabled(level)) return;
      const at = now();
      let window = windows.get(code);
      if (window === undefined || at - window.startedAt >= windowMs) {
        const suppressed = window?.suppressed ?? 0;
        window = { startedAt: at, logged: 0, suppressed: 0 };
        windows.set(code, window);
        if (suppressed > 0) {
          logger[level](
            { code, suppressed },
            `${suppressed} more requests failed with ${code} in the last ${Math.round(windowMs / 1000)} s without a log line each`,
          );
        }
      }
      if (window.logged >= burst) {
        window.suppressed++;
        return;
      }
      window.logged++;
      logger[level]({ ...context, code, reason }, `request failed: ${code}: ${reason}`);
    },
    get accessEnabled() {
      return logger.isLevelEnabled("debug");
    },
    access(context, status, ms) {
      logger.debug({ ...context, status, ms: Math.round(ms * 1000) / 1000 }, "request");
    },
  };
}
