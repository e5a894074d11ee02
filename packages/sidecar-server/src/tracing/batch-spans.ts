import { type Context, type Link, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import { tracer } from "./tracer.js";

/** The spans of one running batch: the batch itself and one compute span per traced member. */
export interface BatchSpans {
  readonly batch: Span;
  readonly compute: readonly Span[];
}

/** A request's wait in the queue, a child of its request span; ended when its batch starts. */
export function startQueueSpan(parent: Context): Span {
  return tracer.startSpan("queue", undefined, parent);
}

/**
 * A batch runs for many requests of many traces, so it is its own span, linked to each traced
 * member's request span (OpenTelemetry's pattern for batch processing); each member gets a
 * `compute` child over the same run, so its own trace shows where its time went.
 */
export function startBatchSpans(
  members: readonly Context[],
  rows: number,
  requests: number,
): BatchSpans {
  const links: Link[] = [];
  for (const member of members) {
    const context = trace.getSpanContext(member);
    if (context !== undefined) links.push({ context });
  }
  const attributes = { "gpu_sidecar.batch.rows": rows, "gpu_sidecar.batch.requests": requests };
  return {
    batch: tracer.startSpan("batch", { links, attributes }),
    compute: members.map((member) => tracer.startSpan("compute", { attributes }, member)),
  };
}

export function endSpan(span: Span, error?: Error): void {
  if (error !== undefined) {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  span.end();
}

export function endBatchSpans(spans: BatchSpans, error?: Error): void {
  endSpan(spans.batch, error);
  for (const span of spans.compute) endSpan(span, error);
}
