import type { ClientHttp2Stream, IncomingHttpHeaders } from "node:http2";
import { constants } from "node:http2";

/** `code` of the error a stream fails with when it closed cleanly before the server answered. */
export const UNANSWERED_STREAM = "ERR_SIDECAR_UNANSWERED_STREAM";

/** Whether the server's answer is complete: a gRPC answer ends with its status. */
function answered(headers: IncomingHttpHeaders | undefined, trailers: boolean): boolean {
  if (headers === undefined) return false;
  if (!String(headers["content-type"] ?? "").startsWith("application/grpc")) return true;
  return trailers || headers["grpc-status"] !== undefined;
}

/**
 * Makes a stream that closes with NO_ERROR before the server answered fail with an error
 * (`code` UNANSWERED_STREAM). Node emits no error for such a stream (a draining server that
 * gives up on it, a GOAWAY's cleanup), and connect-node then waits for a response that never
 * comes; every other reset code already reaches the stream's error listeners.
 */
export function failWhenUnanswered(stream: ClientHttp2Stream): void {
  let headers: IncomingHttpHeaders | undefined;
  let trailers = false;
  stream.once("response", (received) => {
    headers = received;
  });
  stream.once("trailers", () => {
    trailers = true;
  });
  stream.once("close", () => {
    if (stream.rstCode !== constants.NGHTTP2_NO_ERROR || answered(headers, trailers)) return;
    // Nobody listens once the call settled; an unheard "error" event would throw.
    if (stream.listenerCount("error") === 0) return;
    const error = new Error("the stream closed (NO_ERROR) before the server answered");
    stream.emit("error", Object.assign(error, { code: UNANSWERED_STREAM }));
  });
}
