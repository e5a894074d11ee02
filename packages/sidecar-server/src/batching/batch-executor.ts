import type { Tensor } from "@gpu-sidecar/sidecar-core";

/**
 * What the batcher needs from a model's executor pool; the pool satisfies it structurally, so
 * the batcher depends on no executor code and tests drive it with a fake.
 */
export interface BatchExecutor {
  /** Instances free to take a batch now. `run` occupies one before it returns. */
  readonly idleInstances: number;
  /** `listener` is called each time an instance becomes idle; returns the unsubscribe call. */
  onIdle(listener: () => void): () => void;
  /** Runs one whole batch: outputs in `outputNames` order, batch dimension first. */
  run(inputs: Tensor[], outputNames: string[]): Promise<Tensor[]>;
}
