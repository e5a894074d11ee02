import type { OptionTable } from "./option-table.js";
import {
  booleanValue,
  durationValue,
  enumValue,
  headersValue,
  httpUrlValue,
  integerValue,
  nonEmptyValue,
} from "./option-values.js";

/** `'provider' = 'triton'`: Flink's Triton provider options (KServe v2 over REST, one request per row). */
export const TRITON_OPTIONS = {
  provider: {
    schema: nonEmptyValue,
    type: "`'triton'`",
    required: true,
    description: "the model provider",
  },
  endpoint: {
    schema: httpUrlValue,
    type: "URL",
    required: true,
    description:
      "the server's model collection, e.g. `http://127.0.0.1:8000/v2/models`; a sidecar's REST port serves it",
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
    default: "latest",
    description: "the served version; `latest` is the newest one",
  },
  timeout: {
    schema: durationValue,
    type: "duration",
    default: "30s",
    description: "one HTTP request's timeout (connect, write and read)",
  },
  "flatten-batch-dim": {
    schema: booleanValue,
    type: "boolean",
    default: "false",
    description: "send an ARRAY input with shape `[N]` instead of `[1, N]`",
  },
  priority: {
    schema: integerValue(0, 255),
    type: "integer 0–255",
    description: "the request's `priority` parameter",
  },
  "sequence-id": {
    schema: nonEmptyValue,
    type: "string",
    description: "sent as the request's `id` (Triton's stateful models)",
  },
  "sequence-start": {
    schema: booleanValue,
    type: "boolean",
    default: "false",
    description: "send the `sequence_start` parameter",
  },
  "sequence-end": {
    schema: booleanValue,
    type: "boolean",
    default: "false",
    description: "send the `sequence_end` parameter",
  },
  compression: {
    schema: enumValue(["gzip"]),
    type: "`'gzip'`",
    description: "compress each request body (`Content-Encoding: gzip`)",
  },
  "auth-token": {
    schema: nonEmptyValue,
    type: "string",
    description: "sent as `Authorization: Bearer <token>` (a sidecar's `server.auth.bearer_token`)",
  },
  "custom-headers": {
    schema: headersValue,
    type: "`'Name:value,Name2:value2'`",
    description: "extra HTTP headers of every request",
  },
} as const satisfies OptionTable;
