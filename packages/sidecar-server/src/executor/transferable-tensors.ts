import type { Tensor } from "@gpu-sidecar/sidecar-core";

export interface TransferableTensors {
  readonly tensors: Tensor[];
  /** Pass as `postMessage`'s transfer list: these buffers move instead of being copied. */
  readonly transferList: ArrayBuffer[];
}

/**
 * Readies tensors to be moved to another thread. Transferring moves a whole ArrayBuffer and
 * detaches it on the sending side, so only a tensor whose data spans its entire (non-shared)
 * buffer is transferred as is; a view into a larger buffer (a slice of a request, a pooled Node
 * Buffer) is copied into a buffer of its own first, which also leaves the larger buffer usable.
 * The caller gives up the transferred buffers: their tensors read as empty afterwards.
 */
export function transferableTensors(tensors: readonly Tensor[]): TransferableTensors {
  const transferList: ArrayBuffer[] = [];
  const owned = tensors.map((tensor) => {
    const { data } = tensor;
    if (
      data.buffer instanceof ArrayBuffer &&
      data.byteOffset === 0 &&
      data.byteLength === data.buffer.byteLength &&
      !transferList.includes(data.buffer)
    ) {
      transferList.push(data.buffer);
      return tensor;
    }
    // A plain copy, never `data.slice()`: a Node Buffer's `slice` is a view of the same
    // memory, and transferring its buffer would detach the request it came from.
    const copy = new Uint8Array(data);
    transferList.push(copy.buffer);
    return { ...tensor, data: copy };
  });
  return { tensors: owned, transferList };
}
