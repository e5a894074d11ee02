import { type Context, ROOT_CONTEXT, type TextMapGetter } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { tracingEnabled } from "./tracing-enabled.js";

/** A request's header by lower-case name, whichever server API carries it. */
export type HeaderReader = (name: string) => string | string[] | null | undefined;

const W3C = new W3CTraceContextPropagator();

const GETTER: TextMapGetter<HeaderReader> = {
  get: (read, key) => read(key) ?? undefined,
  keys: () => ["traceparent", "tracestate"],
};

/**
 * The context a request's spans start in: the caller's trace from its W3C `traceparent` (and
 * `tracestate`) headers, else a new trace. The W3C format is read whatever global propagator
 * the application configured: it is the one our client sends and Triton's clients use.
 * Undefined when no OpenTelemetry SDK is registered, so nothing else is done per request.
 */
export function traceParentOf(read: HeaderReader): Context | undefined {
  if (!tracingEnabled()) return undefined;
  return W3C.extract(ROOT_CONTEXT, read, GETTER);
}
