import type { Interceptor } from "@connectrpc/connect";
import { context, propagation, type TextMapSetter } from "@opentelemetry/api";

const headerSetter: TextMapSetter<Headers> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

/**
 * Puts the caller's active OpenTelemetry context on every request (`traceparent` with the
 * W3C propagator an SDK registers), so the sidecar's work joins the caller's trace. Without an
 * SDK the API's propagator is a no-op: one function call per request, no header.
 */
export const traceContextInterceptor: Interceptor = (next) => (request) => {
  propagation.inject(context.active(), request.header, headerSetter);
  return next(request);
};
