import type { IncomingMessage, ServerResponse } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  boundErrorMessage,
  ErrorCode,
  type Lifecycle,
  LifecycleState,
  SidecarError,
} from "@gpu-sidecar/sidecar-core";
import { isModelName } from "@gpu-sidecar/sidecar-core/config";
import { traceParentOf } from "../tracing/trace-parent.js";
import { type BearerAuth, UNAUTHENTICATED_MESSAGE } from "./bearer-auth.js";
import { httpStatusOf, RETRY_AFTER_SECONDS } from "./error-status.js";
import { configJson } from "./model-config-view.js";
import type { ModelManager } from "./model-manager.js";
import { metadataJson, statisticsJson } from "./model-views.js";
import type { RequestLog, RequestLogContext } from "./request-log.js";
import { readRequestBody } from "./rest-body.js";
import { decodeRestInferRequest, encodeRestInferResponse } from "./rest-infer-codec.js";
import { SERVER_EXTENSIONS, SERVER_NAME, SERVER_VERSION } from "./server-info.js";

export interface RestRouterOptions {
  readonly manager: ModelManager;
  readonly lifecycle: Lifecycle;
  /** Largest request body accepted, after decompression too. */
  readonly maxRequestBytes: number;
  readonly auth: BearerAuth | undefined;
  readonly requestLog: RequestLog;
}

/**
 * The JSON body of an error answer (KServe v2's `{"error": …}`), bounded as a gRPC
 * `grpc-message` is: a message echoing a huge input (a 70,000-character model name) keeps its
 * start and its end.
 */
function errorJson(message: string): { readonly error: string } {
  return { error: boundErrorMessage(message) };
}

/** Handles one request under `/v2`; the HTTP listener sends every other path to Connect. */
export type RestRouter = (request: IncomingMessage, response: ServerResponse) => void;

/** What a route answers: JSON, or raw bytes with their content type and extra headers. */
type Reply =
  | { readonly status: number; readonly json?: unknown }
  | {
      readonly status: number;
      readonly bytes: Uint8Array;
      readonly contentType: string;
      readonly headers: Readonly<Record<string, string>>;
    };

interface Route {
  readonly method: "GET" | "POST";
  /** Open to callers without the bearer token (probes). */
  readonly open?: boolean;
  readonly handle: (request: IncomingMessage, response: ServerResponse) => Promise<Reply>;
}

const VERSION_SEGMENT = /^(?:[1-9][0-9]*|latest)$/;

function invalid(message: string): SidecarError {
  return new SidecarError(ErrorCode.InvalidArgument, message);
}

function modelName(segment: string): string {
  if (!isModelName(segment)) {
    throw invalid(
      `invalid model name ${JSON.stringify(segment)}: use 1 to 255 of A-Z a-z 0-9 _ . - starting with a letter, digit or _`,
    );
  }
  return segment;
}

function versionName(segment: string): string {
  if (!VERSION_SEGMENT.test(segment)) {
    throw invalid(
      `invalid model version ${JSON.stringify(segment)}: expected a positive integer or "latest"`,
    );
  }
  return segment;
}

function headerLengthOf(request: IncomingMessage): number | undefined {
  const value = request.headers["inference-header-content-length"];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^\d+$/.test(value.trim())) {
    throw invalid(`Inference-Header-Content-Length is ${JSON.stringify(value)}, expected bytes`);
  }
  return Number(value);
}

/** What a log line says of a REST request: its method and path, and the model it names. */
function logContext(request: IncomingMessage): RequestLogContext {
  const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
  const segments = path.split("/");
  const model = segments[2] === "models" && segments[3] !== "stats" ? segments[3] : undefined;
  const version = segments[4] === "versions" ? segments[5] : undefined;
  return { protocol: "rest", method: `${request.method} ${path}`, model, version };
}

/**
 * The KServe v2 REST API (plus Triton's repository and statistics endpoints) on node:http,
 * with no framework: the routes are few and fixed, and every byte of the hot path (infer) is
 * visible here.
 */
export function createRestRouter(options: RestRouterOptions): RestRouter {
  const { manager, lifecycle, maxRequestBytes, auth, requestLog } = options;

  /**
   * Reads a small JSON body (repository calls); an empty body is `{}`. A body refused for its
   * size or encoding comes back as the reply to send.
   */
  async function jsonBody(
    request: IncomingMessage,
  ): Promise<{ readonly json: Readonly<Record<string, unknown>> } | { readonly refused: Reply }> {
    const read = await readRequestBody(request, maxRequestBytes);
    if (!read.ok) return { refused: { status: read.status, json: errorJson(read.message) } };
    if (read.body.length === 0) return { json: {} };
    let parsed: unknown;
    try {
      parsed = JSON.parse(read.body.toString());
    } catch (error) {
      throw invalid(`request body is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw invalid("request body must be a JSON object");
    }
    return { json: parsed as Readonly<Record<string, unknown>> };
  }

  async function infer(
    request: IncomingMessage,
    response: ServerResponse,
    name: string,
    version: string,
  ): Promise<Reply> {
    // A client that goes away before its answer cancels the work: it leaves the queue at once.
    const abort = new AbortController();
    response.once("close", () => {
      if (!response.writableFinished) {
        abort.abort(new SidecarError(ErrorCode.Cancelled, "the HTTP client closed the request"));
      }
    });
    const read = await readRequestBody(request, maxRequestBytes);
    if (!read.ok) return { status: read.status, json: errorJson(read.message) };
    const served = manager.acquire(name, version);
    // A full queue refuses before the JSON tensors are decoded.
    const refused = served.admissionError();
    if (refused !== undefined) throw refused;
    const decoded = decodeRestInferRequest(
      read.body,
      headerLengthOf(request),
      abort.signal,
      traceParentOf((header) => request.headers[header]),
    );
    const outputs = await served.infer(decoded.submission);
    const encoded = encodeRestInferResponse(served, decoded, outputs);
    return {
      status: 200,
      bytes: encoded.body,
      contentType: encoded.contentType,
      headers:
        encoded.headerLength === undefined
          ? {}
          : { "Inference-Header-Content-Length": String(encoded.headerLength) },
    };
  }

  function ready(isReady: boolean, what: string): Reply {
    // KServe: readiness is the status code, 200 or a 4xx (Triton answers 400).
    return isReady ? { status: 200 } : { status: 400, json: errorJson(`${what} is not ready`) };
  }

  /** The routes under /v2/models/{name}[/versions/{version}]. */
  function modelRoute(
    name: string,
    version: string,
    action: string | undefined,
  ): Route | undefined {
    switch (action) {
      case undefined:
        return {
          method: "GET",
          handle: async () => ({
            status: 200,
            json: metadataJson(manager.find(name, version), manager.versionsOf(name)),
          }),
        };
      case "ready":
        return {
          method: "GET",
          handle: async () => ready(manager.isReady(name, version), `model "${name}"`),
        };
      case "config":
        return {
          method: "GET",
          handle: async () => ({ status: 200, json: configJson(manager.find(name, version)) }),
        };
      case "infer":
        return { method: "POST", handle: (req, res) => infer(req, res, name, version) };
      case "stats":
        return {
          method: "GET",
          handle: async () => ({
            status: 200,
            json: { model_stats: manager.statistics(name, version).map(statisticsJson) },
          }),
        };
      default:
        return undefined;
    }
  }

  function route(segments: readonly string[]): Route | undefined {
    const [root, area, ...rest] = segments;
    if (root !== "v2") return undefined;
    if (area === undefined) {
      return {
        method: "GET",
        handle: async () => ({
          status: 200,
          json: { name: SERVER_NAME, version: SERVER_VERSION, extensions: SERVER_EXTENSIONS },
        }),
      };
    }
    if (area === "health" && rest.length === 1) {
      if (rest[0] === "live") {
        return { method: "GET", open: true, handle: async () => ready(lifecycle.live, "server") };
      }
      if (rest[0] === "ready") {
        return { method: "GET", open: true, handle: async () => ready(lifecycle.ready, "server") };
      }
      return undefined;
    }
    if (area === "models") {
      const [name, ...tail] = rest;
      if (name === undefined) return undefined;
      if (name === "stats" && tail.length === 0) {
        return {
          method: "GET",
          handle: async () => ({
            status: 200,
            json: { model_stats: manager.statistics().map(statisticsJson) },
          }),
        };
      }
      if (tail[0] === "versions") {
        const [, version, action, ...extra] = tail;
        if (version === undefined || extra.length > 0) return undefined;
        return modelRoute(modelName(name), versionName(version), action);
      }
      if (tail.length > 1) return undefined;
      return modelRoute(modelName(name), "", tail[0]);
    }
    if (area === "repository") {
      if (rest.length === 1 && rest[0] === "index") {
        return {
          method: "POST",
          handle: async (request) => {
            const body = await jsonBody(request);
            if ("refused" in body) return body.refused;
            const readyOnly = body.json.ready === true;
            const index = await manager.index();
            return {
              status: 200,
              json: index.filter((entry) => !readyOnly || entry.state === "READY"),
            };
          },
        };
      }
      const [models, name, action, ...extra] = rest;
      if (models !== "models" || name === undefined || extra.length > 0) return undefined;
      if (action !== "load" && action !== "unload") return undefined;
      const model = modelName(name);
      return {
        method: "POST",
        handle: async (request) => {
          const body = await jsonBody(request);
          if ("refused" in body) return body.refused;
          const { parameters } = body.json;
          if (action === "load") {
            const overrides =
              typeof parameters === "object" && parameters !== null ? Object.keys(parameters) : [];
            await manager.load(model, overrides);
          } else {
            await manager.unload(model);
          }
          return { status: 200 };
        },
      };
    }
    return undefined;
  }

  function send(response: ServerResponse, reply: Reply): void {
    if (response.destroyed || response.headersSent) return;
    // A draining sidecar tells keep-alive clients to take their next request elsewhere.
    if (lifecycle.state === LifecycleState.Draining || lifecycle.state === LifecycleState.Stopped) {
      response.setHeader("Connection", "close");
    }
    if ("bytes" in reply) {
      response.writeHead(reply.status, {
        ...reply.headers,
        "Content-Type": reply.contentType,
        "Content-Length": reply.bytes.byteLength,
      });
      response.end(reply.bytes);
      return;
    }
    if (reply.json === undefined) {
      response.writeHead(reply.status, { "Content-Length": 0 });
      response.end();
      return;
    }
    const body = JSON.stringify(reply.json);
    response.writeHead(reply.status, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(body),
    });
    response.end(body);
  }

  function sendError(response: ServerResponse, reason: unknown, request: IncomingMessage): void {
    const error = SidecarError.from(reason);
    const { status, retryAfter } = httpStatusOf(error);
    requestLog.failed(logContext(request), error);
    if (retryAfter) response.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
    send(response, { status, json: errorJson(error.message) });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
    let segments: string[];
    try {
      segments = path
        .split("/")
        .filter((segment) => segment !== "")
        .map((segment) => decodeURIComponent(segment));
    } catch {
      throw invalid(`the path ${JSON.stringify(path)} is not valid percent-encoding`);
    }
    const found = route(segments);
    if (found === undefined) {
      request.resume();
      const message = `no endpoint ${request.method} ${path}`;
      requestLog.failed(logContext(request), new SidecarError(ErrorCode.NotFound, message));
      send(response, { status: 404, json: errorJson(message) });
      return;
    }
    if (request.method !== found.method) {
      request.resume();
      response.setHeader("Allow", found.method);
      send(response, {
        status: 405,
        json: errorJson(`${path} takes ${found.method}, not ${request.method}`),
      });
      return;
    }
    if (auth !== undefined && found.open !== true && !auth.accepts(request.headers.authorization)) {
      request.resume();
      response.setHeader("WWW-Authenticate", 'Bearer realm="gpu-sidecar"');
      requestLog.failed(
        logContext(request),
        new ConnectError(UNAUTHENTICATED_MESSAGE, Code.Unauthenticated),
      );
      send(response, { status: 401, json: errorJson(UNAUTHENTICATED_MESSAGE) });
      return;
    }
    send(response, await found.handle(request, response));
  }

  return (request, response) => {
    if (requestLog.accessEnabled) {
      const startedAt = performance.now();
      response.once("finish", () =>
        requestLog.access(logContext(request), response.statusCode, performance.now() - startedAt),
      );
    }
    handle(request, response).catch((error: unknown) => {
      // The body of a request refused before it was read must not be parsed as the next one.
      request.resume();
      sendError(response, error, request);
    });
  };
}
