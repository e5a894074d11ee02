import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";

/**
 * The source side of a stream adapter: a hand-off of one element at a time. `write` settles
 * when the operator has taken the element, which it does only while it has room, so the
 * adapter's writable side waits exactly as long as the operator is full.
 */
export class InputChannel<T> implements AsyncIterableIterator<T> {
  private offered: { readonly value: T; readonly taken: () => void } | undefined;
  private reader: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Offers one element; the promise settles once the operator took it (or closed). */
  write(value: T): Promise<void> {
    if (this.ended || this.offered !== undefined) {
      return Promise.reject(
        new SidecarError(
          ErrorCode.FailedPrecondition,
          "asyncInference: write after end or before the previous write settled",
        ),
      );
    }
    return new Promise<void>((taken) => {
      const reader = this.reader;
      if (reader === undefined) {
        this.offered = { value, taken };
        return;
      }
      this.reader = undefined;
      reader({ done: false, value });
      taken();
    });
  }

  /** No more elements: the operator drains what it holds and completes. */
  end(): void {
    this.ended = true;
    if (this.offered === undefined) this.release();
  }

  next(): Promise<IteratorResult<T>> {
    const offered = this.offered;
    if (offered !== undefined) {
      this.offered = undefined;
      offered.taken();
      return Promise.resolve({ done: false, value: offered.value });
    }
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.reader = resolve;
    });
  }

  /** The operator stopped reading: release a pending writer, whose element is discarded. */
  return(): Promise<IteratorResult<T>> {
    this.ended = true;
    const offered = this.offered;
    this.offered = undefined;
    offered?.taken();
    this.release();
    return Promise.resolve({ done: true, value: undefined });
  }

  private release(): void {
    const reader = this.reader;
    this.reader = undefined;
    reader?.({ done: true, value: undefined });
  }
}
