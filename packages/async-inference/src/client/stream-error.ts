import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";

const CODES = new Set<string>(Object.values(ErrorCode));

/**
 * The error of a `ModelStreamInferResponse.error_message`. The protocol carries only a
 * message, no status code. When the message starts with a status name and a colon
 * (`RESOURCE_EXHAUSTED: queue full`) that code is kept, so retry predicates can work the same
 * over a stream as over `ModelInfer`; any other message (Triton's, for one) is INTERNAL.
 */
export function streamError(message: string, source: string): SidecarError {
  const prefix = /^([A-Z_]+):/.exec(message)?.[1];
  const code =
    prefix !== undefined && CODES.has(prefix) ? (prefix as ErrorCode) : ErrorCode.Internal;
  return new SidecarError(code, `ModelStreamInfer on ${source}: ${message}`);
}
