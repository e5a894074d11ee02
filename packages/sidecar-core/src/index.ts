export type {
  Backend,
  LoadedModel,
  ModelLoadRequest,
  ModelSignature,
  TensorSpec,
} from "./backend.js";
export * from "./codec/index.js";
export * from "./config/index.js";
export * from "./rpc/index.js";
export { ErrorCode, SidecarError } from "./sidecar-error.js";
export type { Datatype, Tensor } from "./tensor.js";
export { DATATYPES } from "./tensor.js";
