import { splitTensor, type Tensor } from "@gpu-sidecar/sidecar-core";
import type { RequestChunk } from "./inference-request.js";

/**
 * Cuts a request into chunks of at most `maxBatchSize` rows (views, no copies), so that a
 * request larger than a batch still runs and no batch passes max_batch_size. A request that
 * fits (or a model without batching) is one chunk.
 */
export function splitIntoChunks(
  inputs: readonly Tensor[],
  rows: number,
  maxBatchSize: number,
): RequestChunk[] {
  if (maxBatchSize === 0 || rows <= maxBatchSize) return [{ inputs, rows }];
  const counts: number[] = [];
  for (let left = rows; left > 0; left -= maxBatchSize) counts.push(Math.min(maxBatchSize, left));
  const parts = inputs.map((input) => splitTensor(input, counts));
  return counts.map((count, chunk) => ({
    rows: count,
    inputs: parts.map((inputParts) => inputParts[chunk] as Tensor),
  }));
}
