export type {
  Backend,
  LoadedModel,
  ModelLoadRequest,
  ModelSignature,
  TensorSpec,
} from "./backend.js";
export { ErrorCode, SidecarError } from "./sidecar-error.js";
export type { Datatype, Tensor } from "./tensor.js";
export { DATATYPES } from "./tensor.js";
