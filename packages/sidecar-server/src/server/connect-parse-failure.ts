import type { OutgoingHttpHeaders } from "node:http";
import type { connectNodeAdapter } from "@connectrpc/connect-node";

/** Connect's request handler, the same function for HTTP/1.1 and HTTP/2. */
type NodeHandler = ReturnType<typeof connectNodeAdapter>;

/** Whether `message` is Connect-ES's for a request message that is not protobuf (INTERNAL). */
export function isConnectParseFailure(message: string): boolean {
  return message.startsWith("parse binary: ");
}

/**
 * Connect unary calls with a binary message: a POST of `application/proto`, or a GET (the
 * message in the query). Only their 500 answers can be a parse failure; the rest are not held.
 */
function mayFailToParse(method: string | undefined, contentType: string | undefined): boolean {
  return method === "GET" || contentType?.startsWith("application/proto") === true;
}

/** A Connect protocol error body, rewritten as the caller's mistake if it is a parse failure. */
function asInvalidArgument(body: Buffer): Buffer | undefined {
  let error: unknown;
  try {
    error = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== "internal" || typeof message !== "string" || !isConnectParseFailure(message)) {
    return undefined;
  }
  return Buffer.from(JSON.stringify({ ...error, code: "invalid_argument" }));
}

/**
 * Connect-ES answers a unary request of the Connect protocol whose message is not protobuf with
 * HTTP 500 / `internal`, before any interceptor runs: a server fault for the caller's mistake.
 * This handler holds back a 500 answer of `handler` (a short JSON error body) and, when it is
 * that parse failure, answers 400 / `invalid_argument` instead, as the gRPC hot path and the
 * gRPC answers of the listener do. Every other answer passes through untouched.
 */
export function answerConnectParseFailuresAsInvalid(handler: NodeHandler): NodeHandler {
  return (request, response) => {
    if (!mayFailToParse(request.method, request.headers["content-type"])) {
      handler(request, response);
      return;
    }
    const writeHead = response.writeHead.bind(response) as (
      status: number,
      headers?: OutgoingHttpHeaders,
    ) => unknown;
    const write = response.write.bind(response) as (chunk: unknown, ...rest: unknown[]) => boolean;
    const end = response.end.bind(response) as (...args: unknown[]) => unknown;
    let held: { headers: OutgoingHttpHeaders | undefined; chunks: Buffer[] } | undefined;
    const patched = response as unknown as Record<string, unknown>;
    patched.writeHead = (status: number, headers?: OutgoingHttpHeaders) => {
      if (status !== 500 || held !== undefined) {
        if (held === undefined) writeHead(status, headers);
        return response;
      }
      held = { headers, chunks: [] };
      return response;
    };
    patched.write = (chunk: unknown, ...rest: unknown[]) => {
      if (held === undefined) return write(chunk, ...rest);
      held.chunks.push(Buffer.from(chunk as Uint8Array));
      const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
      if (callback !== undefined) queueMicrotask(callback);
      return true;
    };
    patched.end = (...args: unknown[]) => {
      if (held === undefined) return end(...args);
      const body = Buffer.concat(held.chunks);
      const rewritten = asInvalidArgument(body);
      const headers = { ...held.headers };
      delete headers["content-length"];
      // Let go first: HTTP/2's compat end() writes its chunk through write().
      held = undefined;
      writeHead(rewritten === undefined ? 500 : 400, headers);
      return end(rewritten ?? body, ...args.filter((arg) => typeof arg === "function"));
    };
    handler(request, response);
  };
}
