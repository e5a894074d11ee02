import { ErrorCode } from "../sidecar-error.js";
import { boundErrorMessage } from "./error-message.js";

const CODES = new Set<string>(Object.values(ErrorCode));
const PREFIX = /^([A-Z_]+):/;

/**
 * `ModelStreamInferResponse.error_message` for a failed request. The protocol carries only a
 * message, no status: leading with the code's name (`RESOURCE_EXHAUSTED: queue full`) lets a
 * client still tell a full queue (retryable) from a bad request. The message is bounded as
 * every error message is (`boundErrorMessage`).
 */
export function formatStreamError(code: ErrorCode, message: string): string {
  return `${code}: ${boundErrorMessage(message)}`;
}

/**
 * The code a stream `error_message` leads with when it is one of ours; any other message
 * (Triton's, for one) is INTERNAL.
 */
export function streamErrorCode(text: string): ErrorCode {
  const prefix = PREFIX.exec(text)?.[1];
  return prefix !== undefined && CODES.has(prefix) ? (prefix as ErrorCode) : ErrorCode.Internal;
}
