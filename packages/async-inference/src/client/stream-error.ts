import { SidecarError, streamErrorCode } from "@gpu-sidecar/sidecar-core";

/**
 * The error of a `ModelStreamInferResponse.error_message`. The protocol carries only a
 * message; the code it leads with (sidecar-core's stream error format) is kept, so retry
 * predicates work the same over a stream as over `ModelInfer`; any other message (Triton's,
 * for one) is INTERNAL.
 */
export function streamError(message: string, source: string): SidecarError {
  return new SidecarError(streamErrorCode(message), `ModelStreamInfer on ${source}: ${message}`);
}
