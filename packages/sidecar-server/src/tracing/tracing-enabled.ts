import { ProxyTracerProvider, trace } from "@opentelemetry/api";

/** What the API's global proxy delegates to while no SDK is registered. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Whether an OpenTelemetry SDK has registered a tracer provider. Checked per request before
 * any trace context is read or span created, so that tracing costs two property reads when no
 * SDK is there (the API's no-op spans would still be allocated per request).
 */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_PROVIDER;
}
