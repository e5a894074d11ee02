import type { Transport } from "@connectrpc/connect";
import type { BackoffOptions } from "@gpu-sidecar/sidecar-core";
import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import { type Authorization, type BearerToken, resolveAuthorization } from "./bearer-token.js";
import { type EndpointAddress, parseEndpointAddress } from "./endpoint-address.js";
import type { ClientProtocol, ConnectionOptions } from "./endpoint-transport.js";
import { createLocalFirstRouter, type Router } from "./router.js";

/** Options of `createSidecarClient`; exactly one of `endpoint` and `endpoints` is required. */
export interface SidecarClientOptions {
  /** The one endpoint: `unix:///path.sock`, `unix:relative.sock` or `http://host:port`. */
  readonly endpoint?: string;
  /** Several endpoints, for local-first routing and failover. */
  readonly endpoints?: readonly string[];
  /** `grpc` (default; what Triton speaks) or `connect`, both over HTTP/2. */
  readonly protocol?: ClientProtocol;
  /** Chooses the endpoint of each call. Default: `createLocalFirstRouter()`. */
  readonly router?: Router;
  /** The `grpc.health.v1` service watched per endpoint. Default `""`: the whole server. */
  readonly healthService?: string;
  /** Readiness probe interval for servers without `Health.Watch`. Default 2000. */
  readonly healthPollIntervalMs?: number;
  /** Backoff of health-watch reconnections. Defaults: 100 ms, ×2, ±20 %, at most 5000 ms. */
  readonly reconnect?: Partial<BackoffOptions>;
  /** Longest wait for a connection to open; then the call fails over. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** HTTP/2 PING interval on connections with open streams. Default 30000. */
  readonly pingIntervalMs?: number;
  /** How long a PING may go unanswered before the connection is dropped. Default 15000. */
  readonly pingTimeoutMs?: number;
  /**
   * Sent as `Authorization: Bearer <token>` on every call, stream and health watch, for a
   * sidecar with `server.auth.bearer_token` (or a server behind an authenticating proxy): the
   * token, or a function returning the current one (it may be async), called once per call,
   * stream and watch, for tokens that rotate. Never logged nor shown in error messages.
   * Default: none.
   */
  readonly token?: BearerToken;
  /**
   * Supplies the Connect transport of each endpoint instead of the built-in HTTP/2 one (TLS,
   * interceptors, in-memory transports in tests). The caller owns what it creates: `close()`
   * does not close it. `protocol` and the connection options are then unused; `token` is still
   * sent on every call.
   */
  readonly createTransport?: (endpoint: EndpointAddress) => Transport;
}

/** The options with their defaults applied and every value checked. */
export interface ResolvedClientOptions {
  readonly endpoints: readonly EndpointAddress[];
  readonly protocol: ClientProtocol;
  readonly router: Router;
  readonly healthService: string;
  readonly healthPollIntervalMs: number;
  readonly reconnect: BackoffOptions;
  readonly connection: ConnectionOptions;
  readonly createTransport: ((endpoint: EndpointAddress) => Transport) | undefined;
  /** The `authorization` header of each call; undefined without a token. */
  readonly authorization: Authorization | undefined;
}

const DEFAULT_RECONNECT: Required<BackoffOptions> = {
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  multiplier: 2,
  jitter: 0.2,
};

const PROTOCOLS: readonly ClientProtocol[] = ["grpc", "connect"];

function invalid(option: string, value: unknown, expected: string): SidecarError {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  return new SidecarError(
    ErrorCode.InvalidArgument,
    `createSidecarClient: option ${option} is ${shown}, expected ${expected}`,
  );
}

function positive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) {
    throw invalid(option, value, "a positive number of milliseconds");
  }
  return value;
}

function resolveEndpoints(options: SidecarClientOptions): EndpointAddress[] {
  const { endpoint, endpoints } = options;
  if (endpoint !== undefined && endpoints !== undefined) {
    throw new SidecarError(
      ErrorCode.InvalidArgument,
      "createSidecarClient: options endpoint and endpoints are both set, expected exactly one",
    );
  }
  if (endpoint !== undefined) return [parseEndpointAddress(endpoint, "endpoint")];
  if (endpoints === undefined || endpoints.length === 0) {
    throw invalid(
      "endpoints",
      endpoints === undefined ? undefined : "[]",
      "at least one endpoint URL",
    );
  }
  const seen = new Set<string>();
  return endpoints.map((url, index) => {
    if (seen.has(url)) throw invalid(`endpoints[${index}]`, url, "each endpoint once");
    seen.add(url);
    return parseEndpointAddress(url, `endpoints[${index}]`);
  });
}

function resolveReconnect(reconnect: Partial<BackoffOptions> = {}): BackoffOptions {
  const initialDelayMs = positive(
    "reconnect.initialDelayMs",
    reconnect.initialDelayMs,
    DEFAULT_RECONNECT.initialDelayMs,
  );
  const maxDelayMs = positive(
    "reconnect.maxDelayMs",
    reconnect.maxDelayMs,
    Math.max(DEFAULT_RECONNECT.maxDelayMs, initialDelayMs),
  );
  if (maxDelayMs < initialDelayMs) {
    throw invalid(
      "reconnect.maxDelayMs",
      maxDelayMs,
      `at least reconnect.initialDelayMs (${initialDelayMs})`,
    );
  }
  const multiplier = reconnect.multiplier ?? DEFAULT_RECONNECT.multiplier;
  if (!(Number.isFinite(multiplier) && multiplier >= 1)) {
    throw invalid("reconnect.multiplier", multiplier, "a number ≥ 1");
  }
  const jitter = reconnect.jitter ?? DEFAULT_RECONNECT.jitter;
  if (!(jitter >= 0 && jitter <= 1)) {
    throw invalid("reconnect.jitter", jitter, "a number from 0 to 1");
  }
  return { initialDelayMs, maxDelayMs, multiplier, jitter };
}

export function resolveClientOptions(options: SidecarClientOptions): ResolvedClientOptions {
  const protocol = options.protocol ?? "grpc";
  if (!PROTOCOLS.includes(protocol)) {
    throw invalid("protocol", protocol, `one of ${PROTOCOLS.map((p) => `"${p}"`).join(", ")}`);
  }
  const router = options.router ?? createLocalFirstRouter();
  if (typeof router.pick !== "function") {
    throw invalid("router", router, "an object with a pick(endpoints, request) method");
  }
  const healthService = options.healthService ?? "";
  if (typeof healthService !== "string") {
    throw invalid("healthService", healthService, `a service name ("" for the whole server)`);
  }
  return {
    endpoints: resolveEndpoints(options),
    protocol,
    router,
    healthService,
    healthPollIntervalMs: positive("healthPollIntervalMs", options.healthPollIntervalMs, 2_000),
    reconnect: resolveReconnect(options.reconnect),
    connection: {
      connectTimeoutMs: positive("connectTimeoutMs", options.connectTimeoutMs, 5_000),
      pingIntervalMs: positive("pingIntervalMs", options.pingIntervalMs, 30_000),
      pingTimeoutMs: positive("pingTimeoutMs", options.pingTimeoutMs, 15_000),
    },
    createTransport: options.createTransport,
    authorization: resolveAuthorization(options.token),
  };
}
