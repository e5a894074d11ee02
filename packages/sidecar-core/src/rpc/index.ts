export type {
  HealthCheckRequest,
  HealthCheckResponse,
} from "../gen/grpc/health/v1/health_pb.js";
export {
  file_grpc_health_v1_health,
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponse_ServingStatusSchema,
  HealthCheckResponseSchema,
} from "../gen/grpc/health/v1/health_pb.js";
export type {
  InferBatchStatistics,
  InferParameter,
  InferResponseStatistics,
  InferStatistics,
  InferTensorContents,
  MemoryUsage,
  ModelConfigRequest,
  ModelConfigResponse,
  ModelInferRequest,
  ModelInferRequest_InferInputTensor,
  ModelInferRequest_InferRequestedOutputTensor,
  ModelInferResponse,
  ModelInferResponse_InferOutputTensor,
  ModelMetadataRequest,
  ModelMetadataResponse,
  ModelMetadataResponse_TensorMetadata,
  ModelReadyRequest,
  ModelReadyResponse,
  ModelRepositoryParameter,
  ModelStatistics,
  ModelStatisticsRequest,
  ModelStatisticsResponse,
  ModelStreamInferResponse,
  RepositoryIndexRequest,
  RepositoryIndexResponse,
  RepositoryIndexResponse_ModelIndex,
  RepositoryModelLoadRequest,
  RepositoryModelLoadResponse,
  RepositoryModelUnloadRequest,
  RepositoryModelUnloadResponse,
  ServerLiveRequest,
  ServerLiveResponse,
  ServerMetadataRequest,
  ServerMetadataResponse,
  ServerReadyRequest,
  ServerReadyResponse,
  StatisticDuration,
} from "../gen/inference/grpc_service_pb.js";
export {
  file_inference_grpc_service,
  GRPCInferenceService,
  InferBatchStatisticsSchema,
  InferParameterSchema,
  InferResponseStatisticsSchema,
  InferStatisticsSchema,
  InferTensorContentsSchema,
  MemoryUsageSchema,
  ModelConfigRequestSchema,
  ModelConfigResponseSchema,
  ModelInferRequest_InferInputTensorSchema,
  ModelInferRequest_InferRequestedOutputTensorSchema,
  ModelInferRequestSchema,
  ModelInferResponse_InferOutputTensorSchema,
  ModelInferResponseSchema,
  ModelMetadataRequestSchema,
  ModelMetadataResponse_TensorMetadataSchema,
  ModelMetadataResponseSchema,
  ModelReadyRequestSchema,
  ModelReadyResponseSchema,
  ModelRepositoryParameterSchema,
  ModelStatisticsRequestSchema,
  ModelStatisticsResponseSchema,
  ModelStatisticsSchema,
  ModelStreamInferResponseSchema,
  RepositoryIndexRequestSchema,
  RepositoryIndexResponse_ModelIndexSchema,
  RepositoryIndexResponseSchema,
  RepositoryModelLoadRequestSchema,
  RepositoryModelLoadResponseSchema,
  RepositoryModelUnloadRequestSchema,
  RepositoryModelUnloadResponseSchema,
  ServerLiveRequestSchema,
  ServerLiveResponseSchema,
  ServerMetadataRequestSchema,
  ServerMetadataResponseSchema,
  ServerReadyRequestSchema,
  ServerReadyResponseSchema,
  StatisticDurationSchema,
} from "../gen/inference/grpc_service_pb.js";
// `ModelConfig` names the repository's config.json type (./config); the message keeps its schema's name.
export type {
  ModelConfig as ModelConfigMessage,
  ModelDynamicBatching,
  ModelInput,
  ModelInstanceGroup,
  ModelOutput,
  ModelParameter,
  ModelQueuePolicy,
  ModelTensorReshape,
  ModelVersionPolicy,
  ModelVersionPolicy_All,
  ModelVersionPolicy_Latest,
  ModelVersionPolicy_Specific,
} from "../gen/inference/model_config_pb.js";
export {
  DataType,
  DataTypeSchema,
  file_inference_model_config,
  ModelConfigSchema,
  ModelDynamicBatchingSchema,
  ModelInput_Format,
  ModelInput_FormatSchema,
  ModelInputSchema,
  ModelInstanceGroup_Kind,
  ModelInstanceGroup_KindSchema,
  ModelInstanceGroupSchema,
  ModelOutputSchema,
  ModelParameterSchema,
  ModelQueuePolicy_TimeoutAction,
  ModelQueuePolicy_TimeoutActionSchema,
  ModelQueuePolicySchema,
  ModelTensorReshapeSchema,
  ModelVersionPolicy_AllSchema,
  ModelVersionPolicy_LatestSchema,
  ModelVersionPolicy_SpecificSchema,
  ModelVersionPolicySchema,
} from "../gen/inference/model_config_pb.js";
export { boundErrorMessage } from "./error-message.js";
export type { EnvelopeReader } from "./grpc-envelope.js";
export {
  createEnvelopeReader,
  decodeUnaryGrpcEnvelope,
  encodeGrpcEnvelope,
  GRPC_ENVELOPE_PREFIX,
} from "./grpc-envelope.js";
export { decodeGrpcMessage, encodeGrpcMessage } from "./grpc-message.js";
export { formatGrpcTimeout, parseGrpcTimeout } from "./grpc-timeout.js";
export { createHealthService } from "./health-service.js";
export type {
  InferOutputFields,
  InferResponseFields,
  StreamInferResponseFields,
} from "./infer-response-binary.js";
export {
  encodeInferResponseEnvelope,
  encodeStreamInferResponseEnvelope,
} from "./infer-response-binary.js";
export type { MessageTensor, MessageTensors } from "./infer-tensors.js";
export { tensorsOfMessage, tensorsToMessage } from "./infer-tensors.js";
export type {
  Lifecycle,
  LifecycleChange,
  LifecycleListener,
  LifecycleOptions,
} from "./lifecycle.js";
export { createLifecycle } from "./lifecycle.js";
export { LifecycleState } from "./lifecycle-state.js";
export {
  errorCodeOfGrpc,
  grpcCodeOf,
  grpcCodeOfHttpStatus,
  httpStatusOfCode,
} from "./status-codes.js";
export { formatStreamError, streamErrorCode } from "./stream-error.js";
