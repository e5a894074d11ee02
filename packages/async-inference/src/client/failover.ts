import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import type { EndpointConnection } from "./endpoint-connection.js";
import type { EndpointState } from "./endpoint-state.js";
import type { RouteRequest, Router } from "./router.js";
import { toSidecarError } from "./to-sidecar-error.js";

/** The endpoints of a client, with what routers see of them. */
export interface EndpointSet {
  /** Every endpoint's state, built once: the first attempt of a call allocates nothing. */
  readonly states: readonly EndpointState[];
  readonly byState: ReadonlyMap<EndpointState, EndpointConnection>;
  readonly router: Router;
}

/** The router's choice among `candidates`; throws INTERNAL when a router picks outside them. */
export function pickConnection(
  endpoints: EndpointSet,
  candidates: readonly EndpointState[],
  request: RouteRequest,
): EndpointConnection | undefined {
  const picked = endpoints.router.pick(candidates, request);
  if (picked === undefined) return undefined;
  const connection = endpoints.byState.get(picked);
  if (connection === undefined || !candidates.includes(picked)) {
    throw new SidecarError(
      ErrorCode.Internal,
      `router.pick returned ${JSON.stringify(picked.url)}, which is not one of the endpoints it was offered`,
    );
  }
  return connection;
}

/**
 * Runs a call on the endpoint the router picks and, when it fails with UNAVAILABLE, again on
 * the next one, until an attempt succeeds or every endpoint was tried. Only UNAVAILABLE fails
 * over: it means the request never reached a queue (connection refused or broken, sidecar
 * starting or draining); any other error is the call's answer, and a second endpoint would
 * give it again or double the work. The failed endpoint is marked down at once.
 */
export async function callWithFailover<T>(
  endpoints: EndpointSet,
  request: RouteRequest,
  signal: AbortSignal,
  attempt: (connection: EndpointConnection) => Promise<T>,
): Promise<T> {
  let candidates = endpoints.states;
  let lastError: SidecarError | undefined;
  for (;;) {
    const connection = pickConnection(endpoints, candidates, request);
    if (connection === undefined) {
      throw (
        lastError ??
        new SidecarError(
          ErrorCode.Unavailable,
          `${request.method}: the router picked none of ${candidates.map((c) => c.url).join(", ")}`,
        )
      );
    }
    try {
      return await attempt(connection);
    } catch (reason) {
      const error = toSidecarError(
        reason,
        `${request.method} on ${connection.state.url}`,
        signal.aborted,
      );
      if (error.code !== ErrorCode.Unavailable) throw error;
      connection.markUnavailable(error);
      lastError = error;
      candidates = candidates.filter((candidate) => candidate !== connection.state);
      if (candidates.length === 0) throw error;
    }
  }
}
