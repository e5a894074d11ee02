import type { EndpointState, EndpointStatus } from "./endpoint-state.js";

/** The RPCs the client routes; streams are routed once, when the stream opens. */
export type RoutedMethod =
  | "ModelInfer"
  | "ModelStreamInfer"
  | "ModelMetadata"
  | "ModelReady"
  | "ModelStatistics"
  | "ServerReady"
  | "ServerLive";

/** What a router may base its choice on. */
export interface RouteRequest {
  readonly method: RoutedMethod;
  /** The model the call is for; absent for server-wide calls. */
  readonly model?: string;
}

/**
 * Chooses the endpoint of one call attempt. `endpoints` are the candidates: every endpoint on
 * the first attempt, then those not yet tried by this call after each failover. Returning
 * undefined refuses them all, and the call fails with UNAVAILABLE.
 */
export interface Router {
  pick(endpoints: readonly EndpointState[], request: RouteRequest): EndpointState | undefined;
}

// A status never heard is ranked with `serving`: at start-up every endpoint is `connecting`,
// and the first calls must still go to the local one rather than wait or go remote.
const STATUS_RANK: Readonly<Record<EndpointStatus, number>> = {
  serving: 0,
  connecting: 0,
  "not-serving": 1,
  unreachable: 2,
};

const LOCALITY_RANK = { unix: 0, loopback: 1, remote: 2 } as const;

function isBetter(a: EndpointState, b: EndpointState): boolean {
  const status = STATUS_RANK[a.status] - STATUS_RANK[b.status];
  if (status !== 0) return status < 0;
  const locality = LOCALITY_RANK[a.locality] - LOCALITY_RANK[b.locality];
  if (locality !== 0) return locality < 0;
  return a.index < b.index;
}

/**
 * The default router: live endpoints before dead ones, and among equally healthy ones the
 * co-located Unix socket first, then loopback, then remote, then configuration order. Dead
 * endpoints stay candidates (last): health news can lag a restart, and trying costs one
 * refused connection.
 */
export function createLocalFirstRouter(): Router {
  return {
    pick(endpoints) {
      let best: EndpointState | undefined;
      for (const endpoint of endpoints) {
        if (best === undefined || isBetter(endpoint, best)) best = endpoint;
      }
      return best;
    },
  };
}
