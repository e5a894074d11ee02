import { SidecarError } from "@gpu-sidecar/sidecar-core";
import { type Context, SpanKind, trace } from "@opentelemetry/api";
import { endSpan } from "./batch-spans.js";
import { tracer } from "./tracer.js";

/**
 * Runs one inference inside its request span, a child of the caller's trace (`parent`): the
 * span covers the request's whole stay in the sidecar, and `run` gets the span's context for
 * the batcher's `queue`, `compute` and `batch` spans.
 */
export async function inRequestSpan<T>(
  parent: Context,
  model: string,
  version: string,
  run: (context: Context) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(
    `infer ${model}`,
    {
      kind: SpanKind.SERVER,
      attributes: { "gpu_sidecar.model": model, "gpu_sidecar.model_version": version },
    },
    parent,
  );
  try {
    const result = await run(trace.setSpan(parent, span));
    endSpan(span);
    return result;
  } catch (error) {
    const failure = SidecarError.from(error);
    span.setAttribute("gpu_sidecar.error_code", failure.code);
    endSpan(span, failure);
    throw error;
  }
}
