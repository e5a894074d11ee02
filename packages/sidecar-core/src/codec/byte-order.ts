/**
 * The wire is little-endian; typed arrays use the host's order. Detected once so that on
 * little-endian hosts (all current Node and browser targets) values are plain views of the
 * wire bytes, and only a big-endian host pays for swapping.
 */
export const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A typed array constructor used to view bytes as elements. */
export interface TypedArrayConstructor<T> {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
}

/** A typed array whose bytes can be taken as a Uint8Array. */
export interface TypedArrayLike {
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly BYTES_PER_ELEMENT: number;
}

/** A copy of `data` with the bytes of every `elementSize`-byte element reversed. */
export function swapByteOrder(data: Uint8Array, elementSize: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(data.length);
  for (let element = 0; element < data.length; element += elementSize) {
    for (let byte = 0; byte < elementSize; byte++) {
      out[element + byte] = data[element + elementSize - 1 - byte] ?? 0;
    }
  }
  return out;
}

/**
 * The little-endian bytes of a host-order typed array: a view of its memory on a
 * little-endian host (no copy), a swapped copy otherwise.
 */
export function littleEndianBytes(array: TypedArrayLike): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  return hostIsLittleEndian ? bytes : swapByteOrder(bytes, array.BYTES_PER_ELEMENT);
}

/**
 * Little-endian bytes as a host-order typed array. A view when the host is little-endian
 * and the bytes are aligned for the element size (the common case: a whole received
 * buffer); otherwise one copy into a fresh, aligned buffer.
 */
export function hostOrderArray<T>(ctor: TypedArrayConstructor<T>, data: Uint8Array): T {
  const size = ctor.BYTES_PER_ELEMENT;
  const length = data.length / size;
  if (!hostIsLittleEndian) return new ctor(swapByteOrder(data, size).buffer, 0, length);
  if (data.byteOffset % size === 0 && data.buffer instanceof ArrayBuffer) {
    return new ctor(data.buffer, data.byteOffset, length);
  }
  return new ctor(data.slice().buffer, 0, length);
}
