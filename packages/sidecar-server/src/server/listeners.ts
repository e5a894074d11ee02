import {
  createServer as createHttpServer,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import {
  createServer as createHttp2Server,
  type Http2Server,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from "node:http2";
import type { AddressInfo } from "node:net";
import { Code } from "@connectrpc/connect";
import type { connectNodeAdapter } from "@connectrpc/connect-node";
import { ErrorCode, encodeGrpcMessage, SidecarError } from "@gpu-sidecar/sidecar-core";
import type { ServerConfig } from "@gpu-sidecar/sidecar-core/config";
import type { Logger } from "pino";
import { isConnectParseFailure } from "./connect-parse-failure.js";
import type { Http2StreamHandler } from "./grpc-hot-path.js";
import type { RestRouter } from "./rest-router.js";

/** Connect's request handler, the same function for HTTP/1.1 and HTTP/2. */
type NodeHandlerFn = ReturnType<typeof connectNodeAdapter>;

import { bindOwnerOnly, claimSocketPath, restrictSocket } from "./unix-socket.js";

export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

/** Where the sidecar listens; a disabled listener is absent. */
export interface SidecarAddresses {
  /** HTTP/1.1: REST v2 and the Connect protocol (and gRPC-Web). */
  readonly http?: TcpAddress;
  /** Cleartext HTTP/2: gRPC, gRPC-Web and Connect. */
  readonly grpc?: TcpAddress;
  /** Prometheus metrics, when a metrics handler is mounted. */
  readonly metrics?: TcpAddress;
  /** Unix domain socket path, cleartext HTTP/2 like `grpc`. */
  readonly uds?: string;
}

export interface ListenersOptions {
  readonly server: ServerConfig;
  readonly rest: RestRouter;
  /** Connect's handler (`connectNodeAdapter`), for HTTP/1.1 and HTTP/2 alike. */
  readonly connect: NodeHandlerFn;
  /** Serves the metrics port; without it no metrics port is opened. */
  readonly metrics?: RequestListener | undefined;
  /**
   * Sees every HTTP/2 stream first (h2c port and Unix socket) and may answer it itself (the
   * gRPC inference hot path); the streams it declines go to `connect`.
   */
  readonly http2Streams?: Http2StreamHandler | undefined;
  /**
   * Streams one HTTP/2 connection may have open at once (the SETTINGS_MAX_CONCURRENT_STREAMS
   * the server announces); a client keeps further requests until one ends. Default
   * `DEFAULT_MAX_CONCURRENT_STREAMS`.
   */
  readonly maxConcurrentStreams?: number | undefined;
  readonly logger: Logger;
}

/**
 * Node announces no limit (2^32 - 1): a client could open streams without bound and every one
 * would hold memory in the session before any queue bound applies. 1024 streams per connection
 * leave room for any co-located worker's calls while keeping the model queues, not the
 * sessions, in charge of overload.
 */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 1024;

export interface Listeners {
  readonly addresses: SidecarAddresses;
  /**
   * The start of a drain: stops accepting connections, sends every HTTP/2 connection a GOAWAY
   * (streams it already accepted go on) and makes HTTP/1.1 answer `Connection: close`, so that
   * clients take their next requests elsewhere. Resolves once every connection has ended.
   * Idempotent; `close` does it too.
   */
  goAway(): Promise<void>;
  /**
   * Stops accepting connections, lets open requests finish for up to `graceMs`, then cuts what
   * is left and removes the socket file. Idempotent.
   */
  close(graceMs: number): Promise<void>;
}

/**
 * Keep-alive connections outlive common client pools' idle timeouts (Flink's provider keeps its
 * connections open between records): a server that closes first races the client's next
 * request on that connection, which then fails. Headers must be allowed longer still.
 */
const HTTP1_OPTIONS = { keepAliveTimeout: 65_000, headersTimeout: 66_000 } as const;

interface Listener {
  goAway(): Promise<void>;
  close(graceMs: number): Promise<void>;
}

function listenError(what: string, error: NodeJS.ErrnoException): SidecarError {
  const hint =
    error.code === "EADDRINUSE"
      ? "the address is in use; stop the other process or choose another port (0 picks a free one)"
      : error.message;
  return new SidecarError(ErrorCode.Unavailable, `cannot listen on ${what}: ${hint}`, {
    cause: error,
  });
}

function listen(server: Server | Http2Server, what: string, bind: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(what, error));
    server.once("error", onError);
    server.once("listening", () => {
      server.off("error", onError);
      resolve();
    });
    bind();
  });
}

function whenClosed(server: Server | Http2Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

function closeHttp1(server: Server): Listener {
  let closed: Promise<void> | undefined;
  const goAway = () => {
    closed ??= whenClosed(server);
    // Keep-alive connections with no request in flight would hold `close` open; busy ones
    // end after their answer, which says `Connection: close`.
    server.closeIdleConnections();
    return closed;
  };
  server.prependListener("request", (_request, response: ServerResponse) => {
    if (closed !== undefined) response.setHeader("Connection", "close");
  });
  return {
    goAway,
    async close(graceMs) {
      goAway();
      const cut = setTimeout(() => server.closeAllConnections(), graceMs).unref();
      await closed;
      clearTimeout(cut);
    },
  };
}

/**
 * Connect's gRPC answers, written as the hot path writes them. Connect writes `grpc-message`
 * with `encodeURIComponent`, which also escapes `:` and `,`; gRPC clients that decode as the
 * gRPC spec says (grpc-js) then show `%3A` and `%2C`: re-encoded as the spec says. A request
 * message that is not protobuf is the caller's fault, INVALID_ARGUMENT as on the hot path,
 * where Connect says INTERNAL.
 */
function answerGrpcAsHotPath(stream: ServerHttp2Stream): void {
  const reencode = (headers: OutgoingHttpHeaders | undefined) => {
    const message = headers?.["grpc-message"];
    if (headers === undefined || typeof message !== "string") return headers;
    let decoded: string;
    try {
      decoded = decodeURIComponent(message);
    } catch {
      return headers;
    }
    const reencoded: OutgoingHttpHeaders = {
      ...headers,
      "grpc-message": encodeGrpcMessage(decoded),
    };
    if (headers["grpc-status"] === String(Code.Internal) && isConnectParseFailure(decoded)) {
      reencoded["grpc-status"] = String(Code.InvalidArgument);
    }
    return reencoded;
  };
  const respond = stream.respond.bind(stream);
  stream.respond = (headers, options) => respond(reencode(headers), options);
  const sendTrailers = stream.sendTrailers.bind(stream);
  stream.sendTrailers = (headers) => sendTrailers(reencode(headers) ?? headers);
}

/**
 * An HTTP/2 server whose sessions are tracked, so that closing can send each one a GOAWAY.
 * `streams` sees each stream first; the streams it declines become Connect's compat
 * request/response through a second server that never listens (node:http2 creates compat
 * objects for every stream of a server with a `request` listener, which would cost the
 * taken streams that work too).
 */
function trackedHttp2(
  handler: NodeHandlerFn,
  streams: Http2StreamHandler | undefined,
  maxConcurrentStreams: number,
  logger: Logger,
): {
  server: Http2Server;
  listener: Listener;
} {
  const options = { settings: { maxConcurrentStreams } };
  const server = createHttp2Server(options);
  const compat = createHttp2Server(options, handler);
  server.on(
    "stream",
    (
      stream: ServerHttp2Stream,
      headers: IncomingHttpHeaders,
      flags: number,
      rawHeaders: string[],
    ) => {
      if (streams?.(stream, headers)) return;
      if (
        headers["content-type"]?.startsWith("application/grpc+") ||
        headers["content-type"] === "application/grpc"
      ) {
        answerGrpcAsHotPath(stream);
      }
      compat.emit("stream", stream, headers, flags, rawHeaders);
    },
  );
  const sessions = new Set<ServerHttp2Session>();
  let closed: Promise<void> | undefined;
  // GOAWAY with the last stream the session accepted: the client opens no more streams here,
  // those it sent meanwhile are refused (it retries them elsewhere), accepted ones finish.
  const goAway = () => {
    closed ??= whenClosed(server);
    for (const session of sessions) session.close();
    return closed;
  };
  server.on("session", (session) => {
    // A connection that raced the listener's close gets its GOAWAY at once.
    if (closed !== undefined) session.close();
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    // A client that ends its connection with an error code (Connect's session manager sends
    // GOAWAY CANCEL when it is closed with a call still open) errors the session; unheard,
    // that error would end the process. The session closes either way.
    session.on("error", (error) => logger.debug({ err: error }, "HTTP/2 session error"));
  });
  return {
    server,
    listener: {
      goAway,
      async close(graceMs) {
        goAway();
        const cut = setTimeout(() => {
          for (const session of sessions) session.destroy();
        }, graceMs).unref();
        await closed;
        clearTimeout(cut);
      },
    },
  };
}

function tcpAddress(server: Server | Http2Server): TcpAddress {
  const { address, port } = server.address() as AddressInfo;
  return { host: address, port };
}

/**
 * Opens the sidecar's listeners in Triton's layout, each TCP one on its own address (`http_address`
 * and friends, which default to `host`): HTTP/1.1 on `http_port` (REST under /v2,
 * Connect for every other path), cleartext HTTP/2 on `grpc_port` (Node's h2c server cannot
 * fall back to HTTP/1.1, hence two ports), the metrics port when a handler is mounted, and the
 * Unix socket (HTTP/2) created owner-only, then given `uds.mode`, before this resolves. If any
 * listener fails, the ones already open are closed.
 */
export async function startListeners(options: ListenersOptions): Promise<Listeners> {
  const { server: config, rest, connect, metrics, http2Streams, logger } = options;
  const maxConcurrentStreams = options.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS;
  const open: Listener[] = [];
  const addresses: {
    http?: TcpAddress;
    grpc?: TcpAddress;
    metrics?: TcpAddress;
    uds?: string;
  } = {};
  let closing: Promise<void> | undefined;
  // Closing the Unix socket's server removes its file at once (libuv unlinks it), while the
  // path is still ours: removing it any later could remove the socket of a successor that was
  // started on the same path while this one drained.
  const goAway = () => Promise.all(open.map((listener) => listener.goAway())).then(() => {});
  const close = (graceMs: number) => {
    closing ??= Promise.all(open.map((listener) => listener.close(graceMs))).then(() => {});
    return closing;
  };

  try {
    if (config.http_port !== false) {
      const port = config.http_port;
      const server = createHttpServer(HTTP1_OPTIONS, (request, response) => {
        const path = request.url ?? "/";
        if (path === "/v2" || path.startsWith("/v2/") || path.startsWith("/v2?")) {
          rest(request, response);
        } else {
          connect(request, response);
        }
      });
      const host = config.http_address;
      await listen(server, `${host}:${port} (http_address, http_port)`, () =>
        server.listen(port, host),
      );
      open.push(closeHttp1(server));
      addresses.http = tcpAddress(server);
    }
    if (config.grpc_port !== false) {
      const port = config.grpc_port;
      const { server, listener } = trackedHttp2(
        connect,
        http2Streams,
        maxConcurrentStreams,
        logger,
      );
      const host = config.grpc_address;
      await listen(server, `${host}:${port} (grpc_address, grpc_port)`, () =>
        server.listen(port, host),
      );
      open.push(listener);
      addresses.grpc = tcpAddress(server);
    }
    if (config.metrics_port !== false && metrics !== undefined) {
      const port = config.metrics_port;
      const server = createHttpServer(HTTP1_OPTIONS, metrics);
      const host = config.metrics_address;
      await listen(server, `${host}:${port} (metrics_address, metrics_port)`, () =>
        server.listen(port, host),
      );
      open.push(closeHttp1(server));
      addresses.metrics = tcpAddress(server);
    }
    const path = config.uds.path;
    if (path !== false) {
      if (await claimSocketPath(path)) {
        logger.warn({ uds: path }, "removed a stale Unix socket file nobody answered on");
      }
      const { server, listener } = trackedHttp2(
        connect,
        http2Streams,
        maxConcurrentStreams,
        logger,
      );
      await listen(server, `Unix socket ${path} (uds.path)`, () =>
        bindOwnerOnly(() => server.listen(path)),
      );
      open.push(listener);
      addresses.uds = path;
      await restrictSocket(path, config.uds.mode);
    }
  } catch (error) {
    await close(0);
    throw error;
  }
  return { addresses, goAway, close };
}
