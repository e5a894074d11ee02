import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestListener } from "node:http";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * The optional bearer token every caller must present (config `server.auth.bearer_token`).
 * Health endpoints stay open, so probes and load balancers need no secret.
 */
export interface BearerAuth {
  /** Whether an `Authorization` header value carries the token. */
  accepts(authorization: string | null | undefined): boolean;
  /** The Connect interceptor that enforces it on every RPC but the health ones. */
  readonly interceptor: Interceptor;
}

const SCHEME = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** RPCs a probe may call without the token: gRPC health and the server live/ready checks. */
const OPEN_RPCS = new Set([
  "grpc.health.v1.Health/Check",
  "grpc.health.v1.Health/Watch",
  "inference.GRPCInferenceService/ServerLive",
  "inference.GRPCInferenceService/ServerReady",
]);

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

export const UNAUTHENTICATED_MESSAGE =
  "missing or wrong bearer token: send the header `Authorization: Bearer <token>` with the sidecar's server.auth.bearer_token";

export function createBearerAuth(token: string): BearerAuth {
  // Comparing fixed-size digests in constant time leaks neither the token nor its length.
  const expected = digest(token);
  const accepts = (authorization: string | null | undefined) => {
    const presented = authorization == null ? undefined : SCHEME.exec(authorization)?.[1];
    return presented !== undefined && timingSafeEqual(digest(presented), expected);
  };
  return {
    accepts,
    interceptor: (next) => async (request) => {
      const rpc = `${request.service.typeName}/${request.method.name}`;
      if (!OPEN_RPCS.has(rpc) && !accepts(request.header.get("authorization"))) {
        throw new ConnectError(UNAUTHENTICATED_MESSAGE, Code.Unauthenticated);
      }
      return next(request);
    },
  };
}

/**
 * The metrics port's listener behind the token (`metrics.require_auth`): a scrape without it is
 * 401, with a message that says which header and which setting, as REST answers.
 */
export function requireBearerToken(auth: BearerAuth, listener: RequestListener): RequestListener {
  const refusal = `${UNAUTHENTICATED_MESSAGE} (metrics.require_auth is on; in Prometheus, set the scrape job's authorization.credentials)\n`;
  return (request, response) => {
    if (auth.accepts(request.headers.authorization)) {
      listener(request, response);
      return;
    }
    request.resume();
    response.writeHead(401, {
      "content-type": "text/plain; charset=utf-8",
      "www-authenticate": 'Bearer realm="gpu-sidecar"',
    });
    response.end(refusal);
  };
}
