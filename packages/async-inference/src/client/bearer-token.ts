import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";

/**
 * The bearer token of every call: the token itself, or a function called for each call (and
 * each stream and health watch it opens) that returns the current one, for tokens that rotate.
 * As grpc-js's call credentials and Triton's auth plugins do, the function may be async.
 */
export type BearerToken = string | (() => string | PromiseLike<string>);

/**
 * The `authorization` header value of the next call: a string at once when the token is
 * fixed (nothing to wait for on the hot path), a promise when the token function is async.
 */
export type Authorization = () => string | Promise<string>;

/** What a header can carry and the sidecar reads as one token: visible ASCII, no spaces. */
const TOKEN = /^[\x21-\x7e]+$/;

const EXPECTED =
  'the token alone, without "Bearer ": one or more visible ASCII characters and no spaces';

/** Says what is wrong with a token without ever showing it, since messages end up in logs. */
function describe(value: unknown): string {
  if (typeof value !== "string") return value === null ? "null" : typeof value;
  if (value === "") return "an empty string";
  return `a string of ${value.length} characters that is not a bearer token`;
}

function header(value: unknown, from: string): string {
  if (typeof value !== "string" || !TOKEN.test(value)) {
    throw new SidecarError(
      ErrorCode.InvalidArgument,
      `createSidecarClient: option token ${from} ${describe(value)}, expected ${EXPECTED}`,
    );
  }
  return `Bearer ${value}`;
}

function failed(reason: unknown): SidecarError {
  if (reason instanceof SidecarError) return reason;
  const message = reason instanceof Error ? reason.message : String(reason);
  return new SidecarError(
    ErrorCode.FailedPrecondition,
    `createSidecarClient: the option token function failed, so no call can authenticate: ${message}`,
    { cause: reason },
  );
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Checks the `token` option and returns the header value source of every call, or undefined
 * without a token. A fixed token is checked here; a function's answer on each call, where a
 * bad one fails that call with INVALID_ARGUMENT and a throwing function with
 * FAILED_PRECONDITION (neither is retried or failed over: another endpoint would not help).
 */
export function resolveAuthorization(token: unknown): Authorization | undefined {
  if (token === undefined) return undefined;
  if (typeof token === "function") {
    const source = token as () => unknown;
    return () => {
      let value: unknown;
      try {
        value = source();
      } catch (error) {
        throw failed(error);
      }
      if (!isPromiseLike(value)) return header(value, "returned");
      return Promise.resolve(value).then(
        (resolved) => header(resolved, "resolved to"),
        (error: unknown) => {
          throw failed(error);
        },
      );
    };
  }
  const value = header(token, "is");
  return () => value;
}
