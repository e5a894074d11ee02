import type { SidecarError } from "@gpu-sidecar/sidecar-core";
import type { EndpointLocality } from "./endpoint-address.js";

/**
 * What the client knows of an endpoint's health:
 * - `connecting`: no answer yet since the client started;
 * - `serving`: its health watch (or readiness probe) says SERVING;
 * - `not-serving`: it answers but takes no requests (starting, draining, model not ready);
 * - `unreachable`: the connection failed or broke, or a call failed with UNAVAILABLE.
 */
export type EndpointStatus = "connecting" | "serving" | "not-serving" | "unreachable";

/** One endpoint as routers and users see it; the client updates it in place. */
export interface EndpointState {
  /** The endpoint as configured. */
  readonly url: string;
  readonly locality: EndpointLocality;
  /** Its position in the configured endpoints, the tie-breaker of the default router. */
  readonly index: number;
  readonly status: EndpointStatus;
  /** Only `serving` is live. */
  readonly live: boolean;
  /** Why it last became `unreachable`, until it is live again. */
  readonly lastError: SidecarError | undefined;
}
