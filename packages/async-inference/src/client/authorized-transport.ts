import type { Transport } from "@connectrpc/connect";
import type { Authorization } from "./bearer-token.js";

/** The headers a client passes to its transport (the DOM's `HeadersInit`). */
type CallHeaders = Parameters<Transport["unary"]>[3];

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
  const authorized = async (header: CallHeaders): Promise<Headers> => {
    const headers = new Headers(header);
    headers.set("authorization", await authorization());
    return headers;
  };
  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const headers = await authorized(header);
      return transport.unary(method, signal, timeoutMs, headers, input, contextValues);
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      const headers = await authorized(header);
      return transport.stream(method, signal, timeoutMs, headers, input, contextValues);
    },
  };
}
