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
