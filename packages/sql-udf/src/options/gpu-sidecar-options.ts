import type { OptionTable } from "./option-table.js";
import { durationValue, enumValue, integerValue, nonEmptyValue } from "./option-values.js";

/** `'provider' = 'gpu-sidecar'`: our client (Unix socket, gRPC streams, coalescing, failover). */
export const GPU_SIDECAR_OPTIONS = {
  provider: {
    schema: nonEmptyValue,
    type: "`'gpu-sidecar'`",
    required: true,
    description: "the model provider",
  },
  endpoint: {
    schema: nonEmptyValue,
    type: "endpoints",
    required: true,
    description:
      "one endpoint or several separated by commas, tried in order with failover: `unix:///run/gpu-sidecar/sidecar.sock`, `http://127.0.0.1:8001` (gRPC port)",
  },
  "model-name": {
    schema: nonEmptyValue,
    type: "string",
    required: true,
    description: "the served model's name",
  },
  "model-version": {
    schema: nonEmptyValue,
    type: "string",
    description: "the served version; default: the server's default version",
  },
  protocol: {
    schema: enumValue(["grpc", "connect"]),
    type: "`'grpc'` or `'connect'`",
    default: "grpc",
    description: "the RPC protocol over HTTP/2",
  },
  transport: {
    schema: enumValue(["stream", "unary"]),
    type: "`'stream'` or `'unary'`",
    default: "stream",
    description:
      "`stream`: calls share one `ModelStreamInfer` stream; `unary`: one `ModelInfer` per call",
  },
  "batch-max-rows": {
    schema: integerValue(1, 65_536),
    type: "integer",
    default: "64",
    description: "most rows coalesced into one call; `1` sends one row per call",
  },
  "batch-max-delay": {
    schema: durationValue,
    type: "duration",
    default: "2ms",
    description: "longest a partial batch waits for more rows",
  },
  timeout: {
    schema: durationValue,
    type: "duration",
    default: "30s",
    description: "one call's timeout, sent to the sidecar so it drops a late call",
  },
  priority: {
    schema: integerValue(0, 255),
    type: "integer 0–255",
    description: "every call's priority level (1 is the highest, 0 the model's default)",
  },
} as const satisfies OptionTable;
