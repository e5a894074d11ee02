import { SidecarError, type Tensor } from "@gpu-sidecar/sidecar-core";
import type { BatchExecutor } from "../src/batching/batch-executor.js";
import {
  createInferenceRequest,
  type InferenceRequest,
  type RequestOwner,
} from "../src/batching/inference-request.js";
import type { RequestQueue } from "../src/batching/request-queue.js";

/** An FP32 tensor from nested rows (or flat values with an explicit shape). */
export function f32(name: string, shape: readonly number[], values: readonly number[]): Tensor {
  return { name, datatype: "FP32", shape, data: new Uint8Array(Float32Array.from(values).buffer) };
}

/** `rows` rows of width `width`, row r holding `base + r` in every column. */
export function rowsTensor(name: string, rows: number, width: number, base: number): Tensor {
  const values: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) values.push(base + r);
  return f32(name, [rows, width], values);
}

export function valuesOf(tensor: Tensor | undefined): number[] {
  if (tensor === undefined) throw new Error("missing tensor");
  const { buffer, byteOffset, byteLength } = tensor.data;
  return Array.from(new Float32Array(buffer.slice(byteOffset, byteOffset + byteLength)));
}

/** One call of the fake executor, settled by the test (or at once, with a responder). */
export interface FakeRun {
  readonly inputs: Tensor[];
  readonly outputNames: string[];
  readonly settled: boolean;
  resolve(outputs: Tensor[]): void;
  reject(error: unknown): void;
  /** Resolves with the responder's outputs. */
  respond(): void;
}

export type Responder = (inputs: Tensor[], outputNames: string[]) => Tensor[];

/** Copies input `x` to every requested output: each row comes back as it went in. */
export const echo: Responder = (inputs, outputNames) =>
  outputNames.map((name) => ({ ...(inputs[0] as Tensor), name }));

/**
 * A fake executor pool: `instances` slots, each run recorded. With `autoRespond` every run
 * resolves at once with the responder's outputs; otherwise the test settles runs itself.
 */
export class FakeExecutor implements BatchExecutor {
  readonly runs: FakeRun[] = [];
  #idle: number;
  readonly #listeners = new Set<() => void>();
  readonly #responder: Responder;
  readonly #autoRespond: boolean;

  constructor(options: { instances?: number; responder?: Responder; autoRespond?: boolean } = {}) {
    this.#idle = options.instances ?? 1;
    this.#responder = options.responder ?? echo;
    this.#autoRespond = options.autoRespond ?? false;
  }

  get idleInstances(): number {
    return this.#idle;
  }

  onIdle(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** Every row count the executor was given, in order. */
  get batchRows(): number[] {
    return this.runs.map((run) => run.inputs[0]?.shape[0] ?? 0);
  }

  run(inputs: Tensor[], outputNames: string[]): Promise<Tensor[]> {
    this.#idle--;
    return new Promise<Tensor[]>((resolve, reject) => {
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) throw new Error("fake run settled twice");
        settled = true;
        settle();
        this.#idle++;
        for (const listener of this.#listeners) listener();
      };
      const run: FakeRun = {
        inputs,
        outputNames,
        get settled() {
          return settled;
        },
        resolve: (outputs) => finish(() => resolve(outputs)),
        reject: (error) => finish(() => reject(error)),
        respond: () => run.resolve(this.#responder(inputs, outputNames)),
      };
      this.runs.push(run);
      if (this.#autoRespond) run.respond();
    });
  }
}

/** An owner that takes released requests out of a queue, as the batcher does, and counts them. */
export function queueOwner(
  queue: () => RequestQueue,
): RequestOwner & { readonly log: InferenceRequest[] } {
  const log: InferenceRequest[] = [];
  return {
    log,
    released(request) {
      log.push(request);
      queue().remove(request);
    },
  };
}

let sequence = 0;

/** A one-chunk request of `rows` rows (FP32, width 1) for queue-level tests. */
export function makeRequest(
  owner: RequestOwner,
  options: {
    rows?: number;
    priority?: number;
    shapeKey?: string;
    timeoutUs?: number;
    signal?: AbortSignal;
    enqueuedAt?: number;
  } = {},
): InferenceRequest {
  const rows = options.rows ?? 1;
  const input = rowsTensor("x", rows, 1, 0);
  const request = createInferenceRequest({
    sequence: sequence++,
    chunks: [{ inputs: [input], rows }],
    outputNames: ["y"],
    outputLabels: ["y"],
    rows,
    byteLength: input.data.byteLength,
    shapeKey: options.shapeKey ?? "",
    priority: options.priority ?? 1,
    enqueuedAt: options.enqueuedAt ?? performance.now(),
    timeoutUs: options.timeoutUs ?? 0,
    signal: options.signal,
    owner,
  });
  // Queue tests look at outcomes, not at every promise: keep unobserved rejections quiet.
  request.result.catch(() => undefined);
  return request;
}

/** The error a promise rejected with; fails when it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<SidecarError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SidecarError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

/** Settledness of a promise without waiting for it. */
export function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}
