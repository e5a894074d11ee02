import * as net from "node:net";
import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { createAuthorizedTransport } from "./authorized-transport.js";
import type { Authorization } from "./bearer-token.js";
import type { EndpointAddress } from "./endpoint-address.js";
import { createGrpcModelInferCall, type ModelInferCall } from "./grpc-model-infer-call.js";
import {
  createGrpcModelStreamInferCall,
  type ModelStreamInferCall,
} from "./grpc-model-stream-infer-call.js";
import { traceContextInterceptor } from "./trace-context-interceptor.js";
import { failWhenUnanswered } from "./unanswered-stream.js";

/** The wire protocol: gRPC (what Triton speaks) or Connect, both over HTTP/2. */
export type ClientProtocol = "grpc" | "connect";

/** How each endpoint's connection is opened and kept alive. */
export interface ConnectionOptions {
  /** Longest wait for a connection to open. */
  readonly connectTimeoutMs: number;
  /** Interval of PING frames on a connection with open streams, so a dead peer is noticed. */
  readonly pingIntervalMs: number;
  /** How long a PING may go unanswered before the connection is closed. */
  readonly pingTimeoutMs: number;
}

/** A transport with the HTTP/2 connection it owns. */
export interface EndpointTransport {
  readonly transport: Transport;
  /** Unary gRPC ModelInfer on the same connection without Connect's pipeline (gRPC only). */
  readonly modelInfer?: ModelInferCall | undefined;
  /** gRPC ModelStreamInfer on the same connection without Connect's pipeline (gRPC only). */
  readonly modelStreamInfer?: ModelStreamInferCall | undefined;
  /** Closes the connection and every stream on it. */
  close(): void;
}

/**
 * Opens a socket that fails with ETIMEDOUT (read as UNAVAILABLE, so calls fail over) unless
 * connected within `timeoutMs`. Without it, a peer that neither accepts nor refuses (a frozen
 * host, a full accept queue, dropped SYNs) holds every call for the OS's connect timeout:
 * minutes.
 */
function connectWithin(timeoutMs: number, options: net.NetConnectOpts): net.Socket {
  const socket = net.connect(options);
  socket.setTimeout(timeoutMs, () => {
    const error = Object.assign(
      new Error(`connect ETIMEDOUT: not connected within ${timeoutMs} ms`),
      {
        code: "ETIMEDOUT",
      },
    );
    socket.destroy(error);
  });
  socket.once("connect", () => socket.setTimeout(0));
  return socket;
}

/** Connect's session manager, with every stream failing when it closes unanswered. */
class EndpointSessionManager extends Http2SessionManager {
  override async request(
    ...args: Parameters<Http2SessionManager["request"]>
  ): ReturnType<Http2SessionManager["request"]> {
    const stream = await super.request(...args);
    failWhenUnanswered(stream);
    return stream;
  }
}

/**
 * One HTTP/2 connection per endpoint, shared by its health watch, unary calls and streams.
 * The socket comes from `createConnection`, the hook `http2.connect` offers: for a Unix
 * socket it is h2c over `net.connect(path)` (the authority is then only a placeholder), and
 * for TCP it adds the connect timeout that Node lacks. The session manager reconnects on the
 * next request after the connection breaks, which is what lets a restarted sidecar be picked
 * up on the same socket path.
 */
export function createEndpointTransport(
  address: EndpointAddress,
  protocol: ClientProtocol,
  connection: ConnectionOptions,
  authorization: Authorization | undefined,
): EndpointTransport {
  const { connectTimeoutMs, pingIntervalMs, pingTimeoutMs } = connection;
  let baseUrl: string;
  let connectOptions: net.NetConnectOpts;
  if (address.locality === "unix") {
    baseUrl = "http://localhost";
    connectOptions = { path: address.socketPath };
  } else {
    baseUrl = address.baseUrl;
    const url = new URL(baseUrl);
    // URL keeps IPv6 hosts in brackets; net.connect wants them bare.
    connectOptions = {
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(url.port || 80),
    };
  }
  const sessionManager = new EndpointSessionManager(
    baseUrl,
    { pingIntervalMs, pingTimeoutMs },
    { createConnection: () => connectWithin(connectTimeoutMs, connectOptions) },
  );
  const interceptors = [traceContextInterceptor];
  const transport =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl, sessionManager, interceptors })
      : createConnectTransport({ baseUrl, httpVersion: "2", sessionManager, interceptors });
  return {
    transport:
      authorization === undefined ? transport : createAuthorizedTransport(transport, authorization),
    // Inference takes the hot path when the protocol is gRPC; the Connect protocol and every
    // other method go through Connect's transport.
    modelInfer:
      protocol === "grpc" ? createGrpcModelInferCall(sessionManager, authorization) : undefined,
    modelStreamInfer:
      protocol === "grpc"
        ? createGrpcModelStreamInferCall(sessionManager, authorization)
        : undefined,
    close: () => sessionManager.abort(),
  };
}
