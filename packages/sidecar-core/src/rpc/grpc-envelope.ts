import { Code, ConnectError } from "@connectrpc/connect";

/** gRPC's length-prefixed message framing: a flags byte, then a big-endian uint32 length. */
export const GRPC_ENVELOPE_PREFIX = 5;
const FLAG_COMPRESSED = 0b1;

/** One uncompressed gRPC message frame around `message`. */
export function encodeGrpcEnvelope(message: Uint8Array): Uint8Array {
  const envelope = new Uint8Array(GRPC_ENVELOPE_PREFIX + message.byteLength);
  new DataView(envelope.buffer).setUint32(1, message.byteLength);
  envelope.set(message, GRPC_ENVELOPE_PREFIX);
  return envelope;
}

/**
 * The single message of a unary call's body (a view, no copy), or the error Connect answers
 * for the same body, so that a hand-written fast path fails exactly as Connect would.
 * `direction` is which message the reader expects: a server reads the call's input, a client
 * its output; `readMaxBytes` bounds the message size.
 */
export function decodeUnaryGrpcEnvelope(
  body: Uint8Array,
  direction: "input" | "output",
  readMaxBytes = Number.POSITIVE_INFINITY,
): Uint8Array | ConnectError {
  // Connect reports a malformed request to the server as the client's fault, a malformed
  // response to the client as an unimplemented server.
  const malformed = direction === "input" ? Code.InvalidArgument : Code.Unimplemented;
  if (body.byteLength < GRPC_ENVELOPE_PREFIX) {
    return new ConnectError(
      `protocol error: missing ${direction} message for unary method`,
      Code.Unimplemented,
    );
  }
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1);
  if (length > readMaxBytes) {
    return new ConnectError(
      `message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`,
      Code.ResourceExhausted,
    );
  }
  if (((body[0] as number) & FLAG_COMPRESSED) !== 0) {
    return new ConnectError(
      "protocol error: received compressed envelope, but do not know how to decompress",
      Code.Internal,
    );
  }
  if (body.byteLength < GRPC_ENVELOPE_PREFIX + length) {
    return new ConnectError("protocol error: premature end of stream", malformed);
  }
  if (body.byteLength > GRPC_ENVELOPE_PREFIX + length) {
    return new ConnectError(
      `protocol error: received extra ${direction} message for unary method`,
      malformed,
    );
  }
  return body.subarray(GRPC_ENVELOPE_PREFIX);
}

/** Reads the messages of a streaming call from its body as the chunks arrive. */
export interface EnvelopeReader {
  /**
   * The messages `chunk` completes, each a private copy (the caller may transfer its buffer
   * to another thread), or the error the call fails with: a compressed message, or one larger
   * than `readMaxBytes`.
   */
  push(chunk: Uint8Array): Uint8Array[] | ConnectError;
  /** Bytes of an incomplete message held; non-zero at the body's end means it was cut short. */
  readonly pending: number;
}

/** An EnvelopeReader; messages above `readMaxBytes` fail with RESOURCE_EXHAUSTED, as Connect's. */
export function createEnvelopeReader(readMaxBytes = Number.POSITIVE_INFINITY): EnvelopeReader {
  const chunks: Uint8Array[] = [];
  let buffered = 0;
  /** Offset into chunks[0] of the first unread byte. */
  let offset = 0;
  const header = new Uint8Array(GRPC_ENVELOPE_PREFIX);
  const headerView = new DataView(header.buffer);

  /** Copies the next `target.byteLength` bytes into `target` without consuming them. */
  function peek(target: Uint8Array): void {
    let filled = 0;
    let at = offset;
    for (const chunk of chunks) {
      const take = Math.min(chunk.byteLength - at, target.byteLength - filled);
      target.set(chunk.subarray(at, at + take), filled);
      filled += take;
      at = 0;
      if (filled === target.byteLength) return;
    }
  }

  /** Consumes `count` bytes, copying them into `target` when given. */
  function take(count: number, target?: Uint8Array): void {
    let filled = 0;
    while (filled < count) {
      const chunk = chunks[0] as Uint8Array;
      const n = Math.min(chunk.byteLength - offset, count - filled);
      target?.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (offset === chunk.byteLength) {
        chunks.shift();
        offset = 0;
      }
    }
    buffered -= count;
  }

  return {
    push(chunk) {
      if (chunk.byteLength > 0) {
        chunks.push(chunk);
        buffered += chunk.byteLength;
      }
      const messages: Uint8Array[] = [];
      while (buffered >= GRPC_ENVELOPE_PREFIX) {
        peek(header);
        const length = headerView.getUint32(1);
        if (((header[0] as number) & FLAG_COMPRESSED) !== 0) {
          return new ConnectError(
            "protocol error: received compressed envelope, but do not know how to decompress",
            Code.Internal,
          );
        }
        if (length > readMaxBytes) {
          return new ConnectError(
            `message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`,
            Code.ResourceExhausted,
          );
        }
        if (buffered < GRPC_ENVELOPE_PREFIX + length) break;
        take(GRPC_ENVELOPE_PREFIX);
        const message = new Uint8Array(length);
        take(length, message);
        messages.push(message);
      }
      return messages;
    },
    get pending() {
      return buffered;
    },
  };
}
