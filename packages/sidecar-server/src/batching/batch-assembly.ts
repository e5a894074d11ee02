import {
  concatTensors,
  ErrorCode,
  SidecarError,
  splitTensor,
  type Tensor,
} from "@gpu-sidecar/sidecar-core";
import type { BatcherSettings } from "./batcher-config.js";
import type { InferenceRequest, RequestChunk } from "./inference-request.js";
import { padAxis, unpadAxis } from "./input-padding.js";

/** One request's share of a batch: the chunk of its rows that rides in it. */
export interface BatchSlice {
  readonly request: InferenceRequest;
  readonly chunk: RequestChunk;
  readonly chunkIndex: number;
}

type Layout = Pick<BatcherSettings, "maxBatchSize" | "padding" | "unpadding">;

/**
 * The batch's inputs: each input's chunks joined along the batch axis by the codec, after
 * padding a declared axis to `max_length` or, without one, to the longest chunk in the batch.
 */
export function assembleInputs(slices: readonly BatchSlice[], layout: Layout): Tensor[] {
  try {
    return joinInputs(slices, layout);
  } catch (error) {
    throw asInternal(error, "could not assemble the batch");
  }
}

function joinInputs(slices: readonly BatchSlice[], layout: Layout): Tensor[] {
  const first = slices[0];
  if (first === undefined) return [];
  if (layout.maxBatchSize === 0) return [...first.chunk.inputs];
  return first.chunk.inputs.map((_, input) => {
    const parts = slices.map((slice) => slice.chunk.inputs[input] as Tensor);
    const padding = layout.padding[input];
    if (padding === undefined) return concatTensors(parts);
    const { axis, element } = padding;
    const length =
      padding.maxLength ??
      parts.reduce((longest, part) => Math.max(longest, part.shape[axis] ?? 0), 0);
    return concatTensors(parts.map((part) => padAxis(part, axis, length, element)));
  });
}

/** Every output some member asked for, in signature order: one run serves them all. */
export function batchOutputNames(
  slices: readonly BatchSlice[],
  signatureOutputs: readonly string[],
): string[] {
  const wanted = new Set<string>();
  for (const slice of slices) for (const name of slice.request.outputNames) wanted.add(name);
  return signatureOutputs.filter((name) => wanted.has(name));
}

function wrongOutputs(problem: string): SidecarError {
  return new SidecarError(ErrorCode.Internal, `executor returned wrong outputs: ${problem}`);
}

/**
 * Requests were validated before they were queued, so an error while forming, assembling or
 * splitting a batch is the sidecar's (or the executor's) fault, not the client's: INTERNAL.
 */
export function asInternal(error: unknown, context: string): SidecarError {
  const cause = SidecarError.from(error);
  if (cause.code === ErrorCode.Internal) return cause;
  return new SidecarError(ErrorCode.Internal, `${context}: ${cause.message}`, { cause });
}

/**
 * Each slice's outputs, in the order and with the names its request asked for: every output is
 * split along the batch axis (views), and outputs carrying a padded length are cut back to the
 * slice's own length. Throws INTERNAL when the executor's answer does not fit the batch (count,
 * names or rows), which fails every member: none of them can trust its share.
 */
export function splitOutputs(
  slices: readonly BatchSlice[],
  outputs: readonly Tensor[],
  outputNames: readonly string[],
  rows: number,
  layout: Layout,
): Tensor[][] {
  try {
    return shareOutputs(slices, outputs, outputNames, rows, layout);
  } catch (error) {
    throw asInternal(error, "could not split the batch's outputs");
  }
}

function shareOutputs(
  slices: readonly BatchSlice[],
  outputs: readonly Tensor[],
  outputNames: readonly string[],
  rows: number,
  layout: Layout,
): Tensor[][] {
  if (outputs.length !== outputNames.length) {
    throw wrongOutputs(`${outputs.length} tensors for the ${outputNames.length} requested`);
  }
  const batching = layout.maxBatchSize > 0;
  const rowCounts = slices.map((slice) => slice.chunk.rows);
  const pieces = new Map<string, Tensor[]>();
  outputs.forEach((output, index) => {
    const name = outputNames[index] as string;
    if (output.name !== name)
      throw wrongOutputs(`tensor ${index} is "${output.name}", expected "${name}"`);
    if (batching && output.shape[0] !== rows) {
      throw wrongOutputs(`"${name}" has ${String(output.shape[0])} rows, the batch has ${rows}`);
    }
    pieces.set(name, batching ? splitTensor(output, rowCounts) : [output]);
  });
  return slices.map((slice, index) =>
    slice.request.outputNames.map((name, o) => {
      let tensor = (pieces.get(name) as Tensor[])[index] as Tensor;
      const unpadding = layout.unpadding.get(name);
      if (unpadding !== undefined) {
        const length = slice.chunk.inputs[unpadding.inputIndex]?.shape[unpadding.axis] ?? 0;
        tensor = unpadAxis(tensor, unpadding.axis, length, unpadding.elementSize);
      }
      const label = slice.request.outputLabels[o] as string;
      return tensor.name === label ? tensor : { ...tensor, name: label };
    }),
  );
}
