/** Code points of a message kept from its start and its end (the end says what to do). */
const KEPT_HEAD = 384;
const KEPT_TAIL = 128;

/**
 * An error message as the sidecar may send it, on every wire: one that echoes a client's
 * input (a 70,000-character model name, a 20,000-dimension shape) keeps its start and its end
 * and says how much it left out. Under 550 code points, so that a gRPC `grpc-message` (7 KiB
 * encoded at most) fits the peer's HTTP/2 header limit, past which the stream is reset and
 * the connection closed, and a REST error body stays small.
 */
export function boundErrorMessage(message: string): string {
  if (message.length <= KEPT_HEAD + KEPT_TAIL) return message;
  const codePoints = Array.from(message);
  if (codePoints.length <= KEPT_HEAD + KEPT_TAIL) return message;
  const left = codePoints.length - KEPT_HEAD - KEPT_TAIL;
  return `${codePoints.slice(0, KEPT_HEAD).join("")} … (${left} characters left out) … ${codePoints.slice(-KEPT_TAIL).join("")}`;
}
