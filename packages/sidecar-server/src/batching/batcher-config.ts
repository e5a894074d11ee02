import {
  ErrorCode,
  elementByteSize,
  type ModelSignature,
  SidecarError,
  type TensorSpec,
} from "@gpu-sidecar/sidecar-core";
import { encodePadElement } from "./input-padding.js";

/**
 * Padding of one input along one variable axis, so that requests of different lengths batch
 * together (Triton cannot, #3395). Each request's own length is its tensor's length on that
 * axis; the batch pads every shorter request with `value` up to `max_length`, or to the
 * longest request in the batch when no `max_length` is given.
 */
export interface InputPaddingConfig {
  /** The padded axis: not the batch axis, and declared -1 in the model's signature. */
  readonly axis: number;
  /** The element written into the padding (default 0). */
  readonly value?: number | undefined;
  /** Pad to this fixed length; a request longer than it is rejected with INVALID_ARGUMENT. */
  readonly max_length?: number | undefined;
  /**
   * Outputs that carry the padded length, each with its axis: every request gets them cut back
   * to its own length.
   */
  readonly outputs?: Readonly<Record<string, number>> | undefined;
}

/**
 * A model's dynamic batching controls; the names are Triton's (ARCHITECTURE.md §3). Optional
 * keys accept `undefined` so that a parsed config (sidecar-core's schema) passes as is.
 */
export interface DynamicBatcherConfig {
  /** Rows per batch; 0 turns batching off (each request runs alone, no batch dimension). */
  readonly max_batch_size: number;
  /** How long a partial batch may wait for company (default 0: no waiting). */
  readonly max_queue_delay_us?: number | undefined;
  /** Batch sizes, in rows, that run at once. */
  readonly preferred_batch_sizes?: readonly number[] | undefined;
  /** Queued requests beyond which submits are refused (default 1024). */
  readonly max_queue_size?: number | undefined;
  /** Queued input bytes beyond which submits are refused (default 256 MiB). */
  readonly max_queue_bytes?: number | undefined;
  /** Number of priority levels, 1 the highest (default 1; 0 means 1). */
  readonly priority_levels?: number | undefined;
  /** The level of a request that names none (default: the middle one, rounded towards lower priority). */
  readonly default_priority?: number | undefined;
  /** How long a request may wait in the queue (default 0: no timeout). */
  readonly default_timeout_us?: number | undefined;
  /** Padding, by input name. */
  readonly padding?: Readonly<Record<string, InputPaddingConfig>> | undefined;
}

/** Padding of one input, checked against the signature. */
export interface InputPadding {
  readonly inputIndex: number;
  readonly axis: number;
  /** The pad value as one element's bytes. */
  readonly element: Uint8Array;
  readonly maxLength: number | undefined;
}

/** An output cut back to each request's length of a padded input. */
export interface OutputUnpadding {
  readonly axis: number;
  readonly inputIndex: number;
  readonly elementSize: number;
}

/** The config with defaults applied and checked against the model's signature. */
export interface BatcherSettings {
  readonly maxBatchSize: number;
  readonly maxQueueDelayMs: number;
  readonly preferredBatchSizes: ReadonlySet<number>;
  readonly maxQueueSize: number;
  readonly maxQueueBytes: number;
  readonly priorityLevels: number;
  readonly defaultPriority: number;
  readonly defaultTimeoutUs: number;
  /** By input index (signature order); undefined for inputs without padding. */
  readonly padding: readonly (InputPadding | undefined)[];
  /** By output name as the model names it. */
  readonly unpadding: ReadonlyMap<string, OutputUnpadding>;
}

const DEFAULT_MAX_QUEUE_SIZE = 1024;
const DEFAULT_MAX_QUEUE_BYTES = 256 * 1024 * 1024;

function configError(message: string): SidecarError {
  return new SidecarError(ErrorCode.InvalidArgument, `dynamic batching config: ${message}`);
}

function integerAtLeast(name: string, value: number | undefined, min: number, fallback: number) {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min) {
    throw configError(`${name} is ${String(value)}, expected an integer >= ${min}`);
  }
  return resolved;
}

function assertBatchAxis(spec: TensorSpec, kind: string): void {
  if (spec.shape[0] !== -1) {
    throw configError(
      `${kind} "${spec.name}" has shape [${spec.shape.join(",")}]: with max_batch_size > 0 its first dimension is the batch dimension and must be -1`,
    );
  }
}

function assertVariableAxis(spec: TensorSpec, axis: number, kind: string): void {
  if (!Number.isSafeInteger(axis) || axis < 1 || axis >= spec.shape.length) {
    throw configError(
      `padding axis ${axis} of ${kind} "${spec.name}" is not one of its non-batch axes 1..${spec.shape.length - 1}`,
    );
  }
  if (spec.shape[axis] !== -1) {
    throw configError(
      `padding axis ${axis} of ${kind} "${spec.name}" is ${String(spec.shape[axis])} in the signature, expected -1 (variable)`,
    );
  }
}

function resolvePadding(
  signature: ModelSignature,
  config: DynamicBatcherConfig,
): Pick<BatcherSettings, "padding" | "unpadding"> {
  const padding = new Array<InputPadding | undefined>(signature.inputs.length);
  const unpadding = new Map<string, OutputUnpadding>();
  for (const [name, declared] of Object.entries(config.padding ?? {})) {
    if (config.max_batch_size === 0) throw configError("padding needs max_batch_size > 0");
    const inputIndex = signature.inputs.findIndex((spec) => spec.name === name);
    const spec = signature.inputs[inputIndex];
    if (spec === undefined)
      throw configError(`padding names input "${name}", which the model lacks`);
    if (spec.datatype === "BYTES")
      throw configError(`input "${name}" is BYTES and cannot be padded`);
    assertVariableAxis(spec, declared.axis, "input");
    let element: Uint8Array;
    try {
      element = encodePadElement(spec.datatype, declared.value ?? 0, `padding of ${name}`);
    } catch (error) {
      throw configError(SidecarError.from(error).message);
    }
    const maxLength =
      declared.max_length === undefined
        ? undefined
        : integerAtLeast(`max_length of "${name}"`, declared.max_length, 1, 1);
    padding[inputIndex] = {
      inputIndex,
      axis: declared.axis,
      element,
      maxLength,
    };
    for (const [outputName, axis] of Object.entries(declared.outputs ?? {})) {
      const output = signature.outputs.find((candidate) => candidate.name === outputName);
      if (output === undefined) {
        throw configError(
          `padding of "${name}" names output "${outputName}", which the model lacks`,
        );
      }
      if (unpadding.has(outputName)) {
        throw configError(`output "${outputName}" is un-padded by two inputs`);
      }
      if (output.datatype === "BYTES") {
        throw configError(`output "${outputName}" is BYTES and cannot be un-padded`);
      }
      assertVariableAxis(output, axis, "output");
      unpadding.set(outputName, {
        axis,
        inputIndex,
        elementSize: elementByteSize(output.datatype),
      });
    }
  }
  return { padding, unpadding };
}

/** Applies defaults and checks the config against the signature; throws INVALID_ARGUMENT. */
export function resolveBatcherSettings(
  signature: ModelSignature,
  config: DynamicBatcherConfig,
): BatcherSettings {
  const maxBatchSize = integerAtLeast("max_batch_size", config.max_batch_size, 0, 0);
  if (maxBatchSize > 0) {
    for (const spec of signature.inputs) assertBatchAxis(spec, "input");
    for (const spec of signature.outputs) assertBatchAxis(spec, "output");
  }
  const preferredBatchSizes = new Set<number>();
  for (const size of config.preferred_batch_sizes ?? []) {
    if (!Number.isSafeInteger(size) || size < 1 || size > maxBatchSize) {
      throw configError(
        `preferred batch size ${size} is outside 1..max_batch_size (${maxBatchSize})`,
      );
    }
    preferredBatchSizes.add(size);
  }
  const priorityLevels = Math.max(
    1,
    integerAtLeast("priority_levels", config.priority_levels, 0, 1),
  );
  const defaultPriority = integerAtLeast(
    "default_priority",
    config.default_priority,
    1,
    Math.ceil((priorityLevels + 1) / 2),
  );
  if (defaultPriority > priorityLevels) {
    throw configError(`default_priority ${defaultPriority} is outside 1..${priorityLevels}`);
  }
  return {
    maxBatchSize,
    maxQueueDelayMs: integerAtLeast("max_queue_delay_us", config.max_queue_delay_us, 0, 0) / 1000,
    preferredBatchSizes,
    maxQueueSize: integerAtLeast(
      "max_queue_size",
      config.max_queue_size,
      1,
      DEFAULT_MAX_QUEUE_SIZE,
    ),
    maxQueueBytes: integerAtLeast(
      "max_queue_bytes",
      config.max_queue_bytes,
      1,
      DEFAULT_MAX_QUEUE_BYTES,
    ),
    priorityLevels,
    defaultPriority,
    defaultTimeoutUs: integerAtLeast("default_timeout_us", config.default_timeout_us, 0, 0),
    ...resolvePadding(signature, config),
  };
}
