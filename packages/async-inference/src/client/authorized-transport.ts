import type { Transport } from "@connectrpc/connect";
import type { Authorization } from "./bearer-token.js";

/** The headers a client passes to its transport (the DOM's `HeadersInit`). */
type CallHeaders = Parameters<Transport["unary"]>[3];

function withAuthorization(header: CallHeaders, value: string): Headers {
  const headers = new Headers(header);
  headers.set("authorization", value);
  return headers;
}

/**
 * `transport` with the `authorization` header on every call: metadata, readiness, statistics,
 * the health watch and probes, and inference when it goes through Connect. A wrapper rather
 * than an interceptor, so that it also covers a transport the caller supplies
 * (`createTransport`), which the client cannot add interceptors to.
 */
export function createAuthorizedTransport(
  transport: Transport,
  authorization: Authorization,
): Transport {
  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const value = await authorization();
      return transport.unary(
        method,
        signal,
        timeoutMs,
        withAuthorization(header, value),
        input,
        contextValues,
      );
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      const value = await authorization();
      return transport.stream(
        method,
        signal,
        timeoutMs,
        withAuthorization(header, value),
        input,
        contextValues,
      );
    },
  };
}
