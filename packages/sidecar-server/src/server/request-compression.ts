import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";

/**
 * Connect's gzip or brotli, except that a message that does not decompress is the caller's
 * fault, always INVALID_ARGUMENT with one message: Connect answers INTERNAL for some malformed
 * data (a truncated stream, say). Too large after decompression stays RESOURCE_EXHAUSTED.
 */
function callerFault(compression: Compression): Compression {
  return {
    name: compression.name,
    compress: (bytes) => compression.compress(bytes),
    decompress: (bytes, readMaxBytes) =>
      compression.decompress(bytes, readMaxBytes).catch((reason: unknown) => {
        const error = ConnectError.from(reason);
        if (error.code === Code.ResourceExhausted) throw error;
        throw new ConnectError(
          `the message is not valid ${compression.name} data: decompression failed`,
          Code.InvalidArgument,
          undefined,
          undefined,
          reason,
        );
      }),
  };
}

/**
 * The message compressions the server accepts (`grpc-encoding`, `connect-content-encoding`):
 * gzip and br, Connect's own. Any other is UNIMPLEMENTED, with `grpc-accept-encoding` naming
 * these, as the gRPC compression spec says.
 */
export const REQUEST_COMPRESSIONS: readonly Compression[] = [
  callerFault(compressionGzip),
  callerFault(compressionBrotli),
];
