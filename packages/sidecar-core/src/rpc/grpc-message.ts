import { boundErrorMessage } from "./error-message.js";

/**
 * The `grpc-message` header of a status message: UTF-8, with every byte outside printable
 * ASCII (0x20–0x7E) and `%` itself percent-encoded, as the gRPC HTTP/2 protocol says. Not
 * `encodeURIComponent`, which also encodes `:` and `,`, which gRPC clients (grpc-js decodes with
 * `decodeURI`) then show as `%3A` and `%2C`. The message is bounded first (`boundErrorMessage`).
 */
export function encodeGrpcMessage(message: string): string {
  let encoded = "";
  for (const byte of new TextEncoder().encode(boundErrorMessage(message))) {
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/** The message of a `grpc-message` header; a malformed escape is kept as it is. */
export function decodeGrpcMessage(header: string): string {
  if (!header.includes("%")) return header;
  const bytes: number[] = [];
  for (let i = 0; i < header.length; i++) {
    const hex = header.slice(i + 1, i + 3);
    if (header[i] === "%" && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...new TextEncoder().encode(header[i]));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
