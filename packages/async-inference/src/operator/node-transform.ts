import { Transform, type TransformCallback } from "node:stream";
import { asyncInference } from "./async-inference.js";
import type {
  AsyncInferenceOptions,
  AsyncInferenceOutput,
  ErrorAction,
} from "./async-inference-options.js";
import { InputChannel } from "./input-channel.js";

/**
 * The operator as a Node object-mode `Transform`. Back-pressure runs both ways: a write's
 * callback waits until the operator took the record (so `write()` returns false while the
 * operator is full), and results are read from the operator only while the readable side
 * wants more. `null` cannot be a result here: Node streams read it as the end.
 */
class AsyncInferenceTransform<In, Out, W extends In, E extends ErrorAction> extends Transform {
  readonly #input = new InputChannel<In>();
  readonly #output: AsyncIterator<AsyncInferenceOutput<In, Out, W, E>>;
  readonly #pumping: Promise<void>;
  #resumePump: (() => void) | undefined;

  constructor(options: AsyncInferenceOptions<In, Out, W, E>) {
    super({ objectMode: true });
    this.#output = asyncInference(this.#input, options)[Symbol.asyncIterator]();
    this.#pumping = this.#pump();
  }

  override _transform(record: In, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#input.write(record).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#input.end();
    this.#pumping.then(() => callback());
  }

  override _read(size: number): void {
    const resume = this.#resumePump;
    this.#resumePump = undefined;
    resume?.();
    super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Aborts the calls in flight and ends the pump.
    void this.#output.return?.();
    callback(error);
  }

  async #pump(): Promise<void> {
    try {
      for (;;) {
        const step = await this.#output.next();
        if (step.done === true) return;
        if (!this.push(step.value)) {
          await new Promise<void>((resolve) => {
            this.#resumePump = resolve;
          });
        }
      }
    } catch (error) {
      this.destroy(error instanceof Error ? error : new Error(String(error), { cause: error }));
    }
  }
}

/** `asyncInference` as a Node object-mode `Transform`, for `pipeline()` users. */
export function toNodeTransform<In, Out, W extends In = never, E extends ErrorAction = "fail">(
  options: AsyncInferenceOptions<In, Out, W, E>,
): Transform {
  return new AsyncInferenceTransform(options);
}
