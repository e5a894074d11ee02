// The two wire forms of ModelMetadata and ModelStatistics: protobuf for gRPC, and the REST
// JSON of the KServe/Triton HTTP API (snake_case, plain numbers), built from the same data.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ModelMetadataResponseSchema,
  ModelStatisticsSchema,
  StatisticDurationSchema,
  TensorSpec,
} from "@gpu-sidecar/sidecar-core";
import type { DurationStatistic } from "../batching/batcher-statistics.js";
import type { ModelVersionStatistics } from "./model-manager.js";
import type { ServedVersion } from "./model-version.js";

function restTensor(spec: TensorSpec) {
  return { name: spec.name, datatype: spec.datatype, shape: [...spec.shape] };
}

export function metadataMessage(
  served: ServedVersion,
  versions: readonly string[],
): MessageInitShape<typeof ModelMetadataResponseSchema> {
  const tensor = (spec: TensorSpec) => ({
    name: spec.name,
    datatype: spec.datatype,
    shape: spec.shape.map(BigInt),
  });
  return {
    name: served.name,
    versions: [...versions],
    platform: served.platform,
    inputs: served.signature.inputs.map(tensor),
    outputs: served.signature.outputs.map(tensor),
  };
}

export function metadataJson(served: ServedVersion, versions: readonly string[]) {
  return {
    name: served.name,
    versions: [...versions],
    platform: served.platform,
    inputs: served.signature.inputs.map(restTensor),
    outputs: served.signature.outputs.map(restTensor),
  };
}

function durationMessage(
  duration: DurationStatistic,
): MessageInitShape<typeof StatisticDurationSchema> {
  return { count: BigInt(duration.count), ns: duration.ns };
}

export function statisticsMessage(
  entry: ModelVersionStatistics,
): MessageInitShape<typeof ModelStatisticsSchema> {
  const { statistics } = entry;
  return {
    name: entry.name,
    version: entry.version,
    lastInference: BigInt(entry.lastInferenceMs),
    inferenceCount: BigInt(statistics.inferenceCount),
    executionCount: BigInt(statistics.executionCount),
    inferenceStats: {
      success: durationMessage(statistics.success),
      fail: durationMessage(statistics.fail),
      queue: durationMessage(statistics.queue),
      computeInput: durationMessage(statistics.computeInput),
      computeInfer: durationMessage(statistics.computeInfer),
      computeOutput: durationMessage(statistics.computeOutput),
    },
    batchStats: statistics.batches.map((batch) => ({
      batchSize: BigInt(batch.batchSize),
      computeInput: durationMessage(batch.computeInput),
      computeInfer: durationMessage(batch.computeInfer),
      computeOutput: durationMessage(batch.computeOutput),
    })),
  };
}

function durationJson(duration: DurationStatistic) {
  return { count: duration.count, ns: Number(duration.ns) };
}

export function statisticsJson(entry: ModelVersionStatistics) {
  const { statistics } = entry;
  return {
    name: entry.name,
    version: entry.version,
    last_inference: entry.lastInferenceMs,
    inference_count: statistics.inferenceCount,
    execution_count: statistics.executionCount,
    inference_stats: {
      success: durationJson(statistics.success),
      fail: durationJson(statistics.fail),
      queue: durationJson(statistics.queue),
      compute_input: durationJson(statistics.computeInput),
      compute_infer: durationJson(statistics.computeInfer),
      compute_output: durationJson(statistics.computeOutput),
    },
    batch_stats: statistics.batches.map((batch) => ({
      batch_size: batch.batchSize,
      compute_input: durationJson(batch.computeInput),
      compute_infer: durationJson(batch.computeInfer),
      compute_output: durationJson(batch.computeOutput),
    })),
  };
}
