import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";

const CODES = new Set<string>(Object.values(ErrorCode));

/**
 * The error of a `ModelStreamInferResponse.error_message`. The protocol carries only a
 * message, no status code; when the message starts with a code name (`RESOURCE_EXHAUSTED:
 * queue full`, as gpu-sidecar writes them) that code is kept so that retry predicates work
 * the same over a stream; any other server's message (Triton's) is INTERNAL.
 */
export function streamError(message: string, source: string): SidecarError {
  const prefix = /^([A-Z_]+):/.exec(message)?.[1];
  const code =
    prefix !== undefined && CODES.has(prefix) ? (prefix as ErrorCode) : ErrorCode.Internal;
  return new SidecarError(code, `ModelStreamInfer on ${source}: ${message}`);
}
