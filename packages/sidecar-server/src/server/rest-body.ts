import type { IncomingMessage } from "node:http";
import type { Transform } from "node:stream";
import { createGunzip, createInflate } from "node:zlib";

/** A request body, or the HTTP status and message of why it cannot be had. */
export type RequestBody =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly status: 400 | 413 | 415; readonly message: string };

function decoderFor(encoding: string): Transform | undefined | null {
  switch (encoding) {
    case "":
    case "identity":
      return undefined;
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    default:
      return null;
  }
}

function tooLarge(maxBytes: number, what?: string): RequestBody {
  return {
    ok: false,
    status: 413,
    message: `request body${what === undefined ? "" : ` ${what}`} exceeds the limit of ${maxBytes} bytes (server.limits.max_request_bytes); send fewer rows per request`,
  };
}

/**
 * Reads a request body of at most `maxBytes`, inflating `Content-Encoding: gzip` or `deflate`
 * with the limit applied to the inflated size too (a small bomb must not fill memory). A body
 * refused for its size is still read to its end and thrown away, so that the keep-alive
 * connection stays usable for the client's next request.
 */
export function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<RequestBody> {
  const encoding = (request.headers["content-encoding"] ?? "").trim().toLowerCase();
  const decoder = decoderFor(encoding);
  if (decoder === null) {
    request.resume();
    return Promise.resolve({
      ok: false,
      status: 415,
      message: `Content-Encoding "${encoding}" is not supported; send identity, gzip or deflate`,
    });
  }
  const declared = Number(request.headers["content-length"]);
  if (declared > maxBytes) {
    request.resume();
    return Promise.resolve(tooLarge(maxBytes, `of ${declared} bytes`));
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let rawSize = 0;
    let settled = false;
    const finish = (result: RequestBody) => {
      if (settled) return;
      settled = true;
      if (!result.ok && decoder !== undefined) {
        request.unpipe(decoder);
        decoder.destroy();
      }
      // Drains what is left of a refused body; a no-op once it has ended.
      request.resume();
      resolve(result);
    };
    const source = decoder ?? request;
    if (decoder !== undefined) {
      request.on("data", (chunk: Buffer) => {
        rawSize += chunk.length;
        if (rawSize > maxBytes) finish(tooLarge(maxBytes, "as sent"));
      });
      decoder.on("error", (error) => {
        finish({
          ok: false,
          status: 400,
          message: `the ${encoding} body does not decompress: ${error.message}`,
        });
      });
      request.pipe(decoder);
    }
    source.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        finish(tooLarge(maxBytes, decoder === undefined ? undefined : "once decompressed"));
        return;
      }
      chunks.push(chunk);
    });
    source.on("end", () => finish({ ok: true, body: Buffer.concat(chunks, size) }));
    // A client gone mid-body gets no answer; the response's close handler sees to the rest.
    request.on("error", () => finish({ ok: false, status: 400, message: "request aborted" }));
  });
}
