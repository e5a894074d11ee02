// ModelConfig's answer: the configuration the sidecar runs a model version with, in Triton's
// `inference.ModelConfig` shape, for gRPC (the message) and REST (its Triton JSON).
import { create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import {
  DataType,
  type Datatype,
  type ModelConfig,
  ModelConfigSchema,
  ModelInstanceGroup_Kind,
  type ModelInstanceGroupSchema,
  ModelQueuePolicy_TimeoutAction,
  type TensorSpec,
  type VersionPolicy,
} from "@gpu-sidecar/sidecar-core";
import type { ServedVersion } from "./model-version.js";
import { tritonJson } from "./proto-json.js";

type ModelConfigInit = MessageInitShape<typeof ModelConfigSchema>;
type InstanceGroupInit = MessageInitShape<typeof ModelInstanceGroupSchema>;

/** Triton's backend names, so that its tools recognize the runtime. */
const BACKENDS: Readonly<Record<ModelConfig["backend"], string>> = {
  onnx: "onnxruntime",
  mock: "mock",
};

const DEFAULT_MODEL_FILENAMES: Readonly<Record<ModelConfig["backend"], string>> = {
  onnx: "model.onnx",
  mock: "",
};

/** KServe datatypes as Triton's config names them: `TYPE_` + the name, BYTES as TYPE_STRING. */
const DATA_TYPES: Readonly<Record<Datatype, DataType>> = {
  BOOL: DataType.TYPE_BOOL,
  UINT8: DataType.TYPE_UINT8,
  UINT16: DataType.TYPE_UINT16,
  UINT32: DataType.TYPE_UINT32,
  UINT64: DataType.TYPE_UINT64,
  INT8: DataType.TYPE_INT8,
  INT16: DataType.TYPE_INT16,
  INT32: DataType.TYPE_INT32,
  INT64: DataType.TYPE_INT64,
  FP16: DataType.TYPE_FP16,
  FP32: DataType.TYPE_FP32,
  FP64: DataType.TYPE_FP64,
  BF16: DataType.TYPE_BF16,
  BYTES: DataType.TYPE_STRING,
};

/** A batching model's config dims leave out the batch dimension, as Triton's do. */
function tensor(spec: TensorSpec, batching: boolean) {
  const dims = batching ? spec.shape.slice(1) : spec.shape;
  return { name: spec.name, dataType: DATA_TYPES[spec.datatype], dims: dims.map(BigInt) };
}

function versionPolicy(policy: VersionPolicy): NonNullable<ModelConfigInit["versionPolicy"]> {
  if ("all" in policy) return { policyChoice: { case: "all", value: {} } };
  if ("latest" in policy) {
    return { policyChoice: { case: "latest", value: { numVersions: policy.latest.num_versions } } };
  }
  return {
    policyChoice: { case: "specific", value: { versions: policy.specific.versions.map(BigInt) } },
  };
}

/**
 * The model's instance groups as Triton reports them, one `<model>_<n>` per configured group;
 * a GPU group without `gpus` (every visible GPU) reports an empty list, as Triton's config does
 * before auto-completion fills it in.
 */
function instanceGroups(name: string, config: ModelConfig): InstanceGroupInit[] {
  return config.instance_group.map((group, index) => ({
    name: `${name}_${index}`,
    kind: group.kind === "gpu" ? ModelInstanceGroup_Kind.GPU : ModelInstanceGroup_Kind.CPU,
    count: group.count,
    gpus: group.gpus ?? [],
  }));
}

/** Free-form parameters as Triton's string-valued ModelParameter map. */
function parameters(config: ModelConfig): NonNullable<ModelConfigInit["parameters"]> {
  return Object.fromEntries(
    Object.entries(config.parameters).map(([key, value]) => [
      key,
      { stringValue: typeof value === "string" ? value : JSON.stringify(value) },
    ]),
  );
}

export function configMessage(served: ServedVersion): ModelConfigInit {
  const { config, signature } = served;
  const batching = config.max_batch_size > 0;
  const queue = config.dynamic_batching;
  return {
    name: served.name,
    platform: served.platform,
    backend: BACKENDS[config.backend],
    versionPolicy: versionPolicy(config.version_policy),
    maxBatchSize: config.max_batch_size,
    input: signature.inputs.map((spec) => tensor(spec, batching)),
    output: signature.outputs.map((spec) => tensor(spec, batching)),
    // Every model is scheduled by the dynamic batcher, whose queue policy applies even to a
    // model that does not batch.
    schedulingChoice: {
      case: "dynamicBatching",
      value: {
        preferredBatchSize: [...queue.preferred_batch_sizes],
        maxQueueDelayMicroseconds: BigInt(queue.max_queue_delay_us),
        priorityLevels: BigInt(queue.priority_levels),
        defaultPriorityLevel: BigInt(queue.default_priority),
        defaultQueuePolicy: {
          timeoutAction: ModelQueuePolicy_TimeoutAction.REJECT,
          defaultTimeoutMicroseconds: BigInt(queue.default_timeout_us),
          allowTimeoutOverride: true,
          maxQueueSize: queue.max_queue_size,
        },
      },
    },
    instanceGroup: instanceGroups(served.name, config),
    defaultModelFilename: DEFAULT_MODEL_FILENAMES[config.backend],
    parameters: parameters(config),
  };
}

/** The REST answer of `GET /v2/models/{m}[/versions/{v}]/config`: Triton's JSON of the same. */
export function configJson(served: ServedVersion): JsonObject {
  return tritonJson(ModelConfigSchema, create(ModelConfigSchema, configMessage(served)));
}
