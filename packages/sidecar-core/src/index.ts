export type {
  Backend,
  InstanceDevice,
  LoadedModel,
  ModelLoadRequest,
  ModelSignature,
  TensorSpec,
} from "./backend.js";
export type { Backoff, BackoffOptions } from "./backoff.js";
export { backoffDelayMs, createBackoff } from "./backoff.js";
// Each part's index is its explicit list of public names (and a subpath entry of its own);
// the root aggregates those lists rather than repeating them.
export * from "./codec/index.js";
export * from "./config/index.js";
export * from "./rpc/index.js";
export { ErrorCode, SidecarError } from "./sidecar-error.js";
export type { Datatype, Tensor } from "./tensor.js";
export { DATATYPES } from "./tensor.js";
