import * as net from "node:net";
import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import type { EndpointAddress } from "./endpoint-address.js";
import { traceContextInterceptor } from "./trace-context-interceptor.js";

/** The wire protocol: gRPC (what Triton speaks) or Connect, both over HTTP/2. */
export type ClientProtocol = "grpc" | "connect";

/** HTTP/2 keepalive of each endpoint's connection. */
export interface KeepaliveOptions {
  /** Interval of PING frames on a connection with open streams, so a dead peer is noticed. */
  readonly pingIntervalMs: number;
  /** How long a PING may go unanswered before the connection is closed. */
  readonly pingTimeoutMs: number;
}

/** A transport with the HTTP/2 connection it owns. */
export interface EndpointTransport {
  readonly transport: Transport;
  /** Closes the connection and every stream on it. */
  close(): void;
}

/**
 * One HTTP/2 connection per endpoint, shared by its health watch, unary calls and streams.
 * A Unix socket is h2c over `net.connect(path)`: connect-node's session manager hands the
 * socket factory to `http2.connect` as `createConnection`, and the authority is only a
 * placeholder. The session manager reconnects on the next request after the connection
 * breaks, which is what lets a restarted sidecar be picked up on the same socket path.
 */
export function createEndpointTransport(
  address: EndpointAddress,
  protocol: ClientProtocol,
  keepalive: KeepaliveOptions,
): EndpointTransport {
  const baseUrl = address.locality === "unix" ? "http://localhost" : address.baseUrl;
  const sessionManager =
    address.locality === "unix"
      ? new Http2SessionManager(baseUrl, keepalive, {
          createConnection: () => net.connect(address.socketPath),
        })
      : new Http2SessionManager(baseUrl, keepalive);
  const interceptors = [traceContextInterceptor];
  const transport =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl, sessionManager, interceptors })
      : createConnectTransport({ baseUrl, httpVersion: "2", sessionManager, interceptors });
  return { transport, close: () => sessionManager.abort() };
}
