import type { InferenceRequest } from "./inference-request.js";
import type { QueueGroup } from "./request-queue.js";

/** The controls that decide when a batch goes. */
export interface BatchPolicy {
  /** Rows per batch; 0: no batching, every request alone. */
  readonly maxBatchSize: number;
  readonly preferredBatchSizes: ReadonlySet<number>;
  readonly maxQueueDelayMs: number;
}

/** A batch to run now: each member contributes its next chunk. */
export interface ReadyBatch {
  readonly ready: true;
  readonly members: readonly InferenceRequest[];
  readonly rows: number;
}

/** Nothing to run yet; the batch becomes due at `readyAt` unless company fills it first. */
export interface WaitingBatch {
  readonly ready: false;
  readonly readyAt: number;
}

export type BatchPlan = ReadyBatch | WaitingBatch;

/**
 * Forms the next batch of one shape group, in priority then FIFO order. It is due when it is
 * full (max_batch_size rows, or the next request does not fit: requests other than oversize
 * ones are never split, and FIFO forbids skipping ahead), when its oldest member has waited
 * max_queue_delay, or when `flush` is set (draining). Otherwise, if a prefix of it reaches a
 * preferred size, the largest such prefix goes at once.
 */
export function planBatch(
  group: QueueGroup,
  policy: BatchPolicy,
  now: number,
  flush: boolean,
): BatchPlan {
  if (policy.maxBatchSize === 0) {
    const head = group.head;
    return { ready: true, members: [head], rows: head.nextChunkRows };
  }
  const members: InferenceRequest[] = [];
  let rows = 0;
  let full = false;
  let oldest = Infinity;
  let preferredMembers = 0;
  let preferredRows = 0;
  for (const request of group.members()) {
    const chunkRows = request.nextChunkRows;
    if (rows + chunkRows > policy.maxBatchSize) {
      full = true;
      break;
    }
    members.push(request);
    rows += chunkRows;
    oldest = Math.min(oldest, request.enqueuedAt);
    if (policy.preferredBatchSizes.has(rows)) {
      preferredMembers = members.length;
      preferredRows = rows;
    }
    if (rows === policy.maxBatchSize) {
      full = true;
      break;
    }
  }
  const readyAt = oldest + policy.maxQueueDelayMs;
  if (full || flush || readyAt <= now) return { ready: true, members, rows };
  if (preferredMembers > 0) {
    return { ready: true, members: members.slice(0, preferredMembers), rows: preferredRows };
  }
  return { ready: false, readyAt };
}
