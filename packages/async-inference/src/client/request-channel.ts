/**
 * The request side of a bidirectional stream: callers push, the transport pulls as HTTP/2
 * flow control lets it write. Unbounded on purpose: the operator's `capacity` already bounds
 * the requests in flight, and a second bound here could only deadlock with it.
 */
export interface RequestChannel<T> extends AsyncIterable<T> {
  /** Queues a value; ignored once the channel ended. */
  push(value: T): void;
  /** Ends the iteration once the queued values are pulled. Idempotent. */
  end(): void;
}

export function createRequestChannel<T>(): RequestChannel<T> {
  // Head index instead of Array.shift, which copies the array on every pull.
  let queue: T[] = [];
  let head = 0;
  let ended = false;
  let waiting: ((result: IteratorResult<T, undefined>) => void) | undefined;

  function end(): void {
    ended = true;
    const wake = waiting;
    waiting = undefined;
    wake?.({ done: true, value: undefined });
  }

  const iterator: AsyncIterator<T, undefined> = {
    next() {
      if (head < queue.length) {
        const value = queue[head] as T;
        head += 1;
        if (head === queue.length) {
          queue = [];
          head = 0;
        }
        return Promise.resolve({ done: false, value });
      }
      if (ended) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return() {
      end();
      return Promise.resolve({ done: true, value: undefined });
    },
    // The transport throws into its source when writing fails; like a generator, the channel
    // ends and hands the error back.
    throw(error: unknown) {
      end();
      return Promise.reject(error);
    },
  };

  return {
    push(value) {
      if (ended) return;
      if (waiting !== undefined) {
        const wake = waiting;
        waiting = undefined;
        wake({ done: false, value });
      } else {
        queue.push(value);
      }
    },
    end,
    [Symbol.asyncIterator]: () => iterator,
  };
}
