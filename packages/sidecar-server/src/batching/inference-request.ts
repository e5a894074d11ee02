import { concatTensors, ErrorCode, SidecarError, type Tensor } from "@gpu-sidecar/sidecar-core";
import type { Context, Span } from "@opentelemetry/api";
import { isDeadlineAbort } from "./abort-reason.js";

/** Where a request is: its last rows are queued, in a batch being formed, running, or done. */
export type RequestState = "queued" | "scheduled" | "executing" | "released";

/** The one way a request ends. */
export type RequestOutcome = "resolved" | "rejected" | "cancelled" | "expired";

/** Rows of one request that travel in one batch; a request larger than max_batch_size has several. */
export interface RequestChunk {
  readonly inputs: readonly Tensor[];
  readonly rows: number;
}

/**
 * Told exactly once, when a request reaches its outcome. One owner object serves every
 * request, so no closure is allocated per request.
 */
export interface RequestOwner {
  released(request: InferenceRequest): void;
}

export interface InferenceRequestInit {
  /** Arrival order; ties FIFO order across shape groups. */
  readonly sequence: number;
  /**
   * The inputs (signature order, named as the model names them) cut along the batch axis into
   * chunks of at most max_batch_size rows: one chunk when the request fits a batch.
   */
  readonly chunks: readonly RequestChunk[];
  /** Requested outputs as the model names them. */
  readonly outputNames: readonly string[];
  /** Requested outputs as the client spelled them; the returned tensors carry these names. */
  readonly outputLabels: readonly string[];
  readonly rows: number;
  readonly byteLength: number;
  /** Requests batch together only when their keys are equal (see shape-key.ts). */
  readonly shapeKey: string;
  /** 1 is the highest. */
  readonly priority: number;
  readonly enqueuedAt: number;
  /** 0: no timeout. */
  readonly timeoutUs: number;
  readonly signal: AbortSignal | undefined;
  /** The request span's context, while tracing. */
  readonly trace?: Context | undefined;
  readonly owner: RequestOwner;
}

/**
 * The unit of work between submit and its one outcome. It owns its promise: every way out
 * (resolve, reject, cancel, expire) goes through `#release`, which does nothing once the state
 * is `released`, so a request cannot settle twice whatever races (a batch finishing as its
 * client cancels, a chunk failing after another succeeded).
 */
export class InferenceRequest {
  readonly sequence: number;
  readonly outputNames: readonly string[];
  readonly outputLabels: readonly string[];
  readonly rows: number;
  readonly byteLength: number;
  readonly shapeKey: string;
  readonly priority: number;
  readonly enqueuedAt: number;
  readonly timeoutUs: number;
  /** Clock time past which the request may not wait in the queue; Infinity without a timeout. */
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  /** The request span's context, while tracing; undefined otherwise. */
  readonly trace: Context | undefined;
  /** Open while the request waits for its first batch (tracing only). */
  queueSpan: Span | undefined;
  readonly result: Promise<Tensor[]>;

  #chunks: readonly RequestChunk[];
  #chunkOutputs: (readonly Tensor[] | undefined)[];
  #nextChunk = 0;
  #chunksDone = 0;
  #state: RequestState = "queued";
  #outcome: RequestOutcome | undefined;
  #scheduledAt: number | undefined;
  readonly #owner: RequestOwner;
  #resolve!: (outputs: Tensor[]) => void;
  #reject!: (error: SidecarError) => void;

  constructor(init: InferenceRequestInit) {
    this.sequence = init.sequence;
    this.#chunks = init.chunks;
    this.#chunkOutputs = new Array<readonly Tensor[] | undefined>(init.chunks.length);
    this.outputNames = init.outputNames;
    this.outputLabels = init.outputLabels;
    this.rows = init.rows;
    this.byteLength = init.byteLength;
    this.shapeKey = init.shapeKey;
    this.priority = init.priority;
    this.enqueuedAt = init.enqueuedAt;
    this.timeoutUs = init.timeoutUs;
    this.deadline = init.timeoutUs > 0 ? init.enqueuedAt + init.timeoutUs / 1000 : Infinity;
    this.signal = init.signal;
    this.trace = init.trace;
    this.queueSpan = undefined;
    this.#owner = init.owner;
    this.result = new Promise<Tensor[]>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The request itself is the listener (handleEvent): no closure per request.
    init.signal?.addEventListener("abort", this, { once: true });
  }

  get state(): RequestState {
    return this.#state;
  }

  get outcome(): RequestOutcome | undefined {
    return this.#outcome;
  }

  get chunks(): readonly RequestChunk[] {
    return this.#chunks;
  }

  /** When the last chunk was scheduled; undefined if the request never left the queue that way. */
  get scheduledAt(): number | undefined {
    return this.#scheduledAt;
  }

  /** Rows of the next chunk that still waits for a batch. */
  get nextChunkRows(): number {
    return this.#chunks[this.#nextChunk]?.rows ?? 0;
  }

  /**
   * Hands the next chunk to a batch being formed. Taking the last one moves the request from
   * `queued` to `scheduled`; the caller then takes it out of the queue.
   */
  takeChunk(now: number): number {
    if (this.#state !== "queued" || this.#nextChunk >= this.#chunks.length) {
      throw new SidecarError(
        ErrorCode.Internal,
        `request ${this.sequence} has no chunk to schedule (state ${this.#state})`,
      );
    }
    const index = this.#nextChunk++;
    if (this.#nextChunk === this.#chunks.length) {
      this.#state = "scheduled";
      this.#scheduledAt = now;
    }
    return index;
  }

  /** The batch holding the last chunk started running. */
  markExecuting(): void {
    if (this.#state === "scheduled") this.#state = "executing";
  }

  /**
   * Records the outputs of one chunk; when every chunk is back, resolves with the chunks'
   * outputs joined in row order.
   */
  completeChunk(index: number, outputs: Tensor[]): void {
    if (this.#state === "released" || this.#chunkOutputs[index] !== undefined) return;
    if (this.#chunks.length === 1) {
      this.resolve(outputs);
      return;
    }
    this.#chunkOutputs[index] = outputs;
    this.#chunksDone++;
    if (this.#chunksDone < this.#chunks.length) return;
    const parts = this.#chunkOutputs as readonly (readonly Tensor[])[];
    let joined: Tensor[];
    try {
      joined = this.outputLabels.map((_, o) =>
        concatTensors(parts.map((chunkOutputs) => chunkOutputs[o] as Tensor)),
      );
    } catch (error) {
      // The executor answered each chunk with outputs that do not join (say, different
      // non-batch shapes): the model misbehaved, the request did not.
      this.reject(
        new SidecarError(
          ErrorCode.Internal,
          `outputs of the ${parts.length} chunks of request ${this.sequence} do not join: ${SidecarError.from(error).message}`,
          { cause: error },
        ),
      );
      return;
    }
    this.resolve(joined);
  }

  resolve(outputs: Tensor[]): boolean {
    if (!this.#release("resolved")) return false;
    this.#resolve(outputs);
    return true;
  }

  reject(error: SidecarError): boolean {
    if (!this.#release("rejected")) return false;
    this.#reject(error);
    return true;
  }

  /** The client went away: the request leaves wherever it is and its results are dropped. */
  cancel(): boolean {
    if (!this.#release("cancelled")) return false;
    this.#reject(
      new SidecarError(
        ErrorCode.Cancelled,
        `request ${this.sequence} was cancelled by the client`,
        {
          cause: this.signal?.reason,
        },
      ),
    );
    return true;
  }

  /** The queue timeout passed before the request's last rows were scheduled. */
  expire(): boolean {
    if (!this.#release("expired")) return false;
    this.#reject(
      new SidecarError(
        ErrorCode.DeadlineExceeded,
        `request ${this.sequence} waited in the queue past its timeout of ${this.timeoutUs} us`,
      ),
    );
    return true;
  }

  /** The call's deadline passed while the request was queued or running. */
  #deadlinePassed(): boolean {
    if (!this.#release("expired")) return false;
    this.#reject(
      new SidecarError(
        ErrorCode.DeadlineExceeded,
        `request ${this.sequence} passed the deadline of its call`,
        { cause: this.signal?.reason },
      ),
    );
    return true;
  }

  /**
   * The abort listener (the request is registered as the EventListener object): the call's
   * deadline passed, or its client went away.
   */
  handleEvent(): void {
    if (isDeadlineAbort(this.signal?.reason)) this.#deadlinePassed();
    else this.cancel();
  }

  #release(outcome: RequestOutcome): boolean {
    if (this.#state === "released") return false;
    this.#state = "released";
    this.#outcome = outcome;
    this.signal?.removeEventListener("abort", this);
    // Drop the payload: batches still running other chunks keep a released request
    // referenced until they end, and its inputs and finished outputs need not wait with it.
    this.#chunks = [];
    this.#chunkOutputs = [];
    this.#owner.released(this);
    return true;
  }
}

export function createInferenceRequest(init: InferenceRequestInit): InferenceRequest {
  return new InferenceRequest(init);
}
