export type { BackoffOptions, Tensor } from "@gpu-sidecar/sidecar-core";
export { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
export type { BearerToken } from "./client/bearer-token.js";
export type { CallOptions, InferOptions } from "./client/call-options.js";
export type { EndpointAddress, EndpointLocality } from "./client/endpoint-address.js";
export type { WatchEndpointsOptions } from "./client/endpoint-changes.js";
export type { EndpointState, EndpointStatus } from "./client/endpoint-state.js";
export type { ClientProtocol } from "./client/endpoint-transport.js";
export type { ModelMetadata, TensorMetadata } from "./client/model-metadata.js";
export type { DurationStatistic, ModelStatistics } from "./client/model-statistics.js";
export type { RoutedMethod, RouteRequest, Router } from "./client/router.js";
export { createLocalFirstRouter } from "./client/router.js";
export type { ModelCallOptions, SidecarClient } from "./client/sidecar-client.js";
export { createSidecarClient } from "./client/sidecar-client.js";
export type { SidecarClientOptions } from "./client/sidecar-client-options.js";
export type { StreamSession } from "./client/stream-session.js";
export { traceContextInterceptor } from "./client/trace-context-interceptor.js";
export { asyncInference } from "./operator/async-inference.js";
export type {
  AsyncInferenceOptions,
  AsyncInferenceOutput,
  BatchOptions,
  ErrorAction,
  InferContext,
  InferFunction,
  TimeoutAction,
} from "./operator/async-inference-options.js";
export { InferenceFailure } from "./operator/inference-failure.js";
export { toNodeTransform } from "./operator/node-transform.js";
export { ModelInferenceMetric } from "./operator/operator-metrics.js";
export type {
  ExponentialBackoffRetry,
  FixedDelayRetry,
  RetryStrategy,
} from "./operator/retry-strategy.js";
export { toWebTransformStream } from "./operator/web-transform-stream.js";
