import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type {
  AsyncInferenceOptions,
  BackoffOptions,
  BatchOptions,
  ExponentialBackoffRetry,
  FixedDelayRetry,
  InferOptions,
  SidecarClientOptions,
} from "../src/index.js";

// The reference pages must name every option of the code's own option types. Each list below
// is checked against its type by the compiler (typecheck): an option added to a type and not
// here fails there, and one listed here and not documented fails this test.

type Exhaustive<T, K extends readonly (keyof T)[]> = [Exclude<keyof T, K[number]>] extends [never]
  ? K
  : { missing: Exclude<keyof T, K[number]> };

function keys<T>() {
  return <const K extends readonly (keyof T)[]>(list: K & Exhaustive<T, K>) => list;
}

const CLIENT = keys<SidecarClientOptions>()([
  "endpoint",
  "endpoints",
  "protocol",
  "router",
  "healthService",
  "healthPollIntervalMs",
  "reconnect",
  "connectTimeoutMs",
  "pingIntervalMs",
  "pingTimeoutMs",
  "token",
  "createTransport",
]);
const RECONNECT = keys<BackoffOptions>()(["initialDelayMs", "multiplier", "jitter", "maxDelayMs"]);
const INFER = keys<InferOptions>()(["signal", "timeoutMs", "priority", "outputs", "version"]);
const OPERATOR = keys<AsyncInferenceOptions<unknown, unknown>>()([
  "infer",
  "encode",
  "decode",
  "capacity",
  "ordered",
  "isWatermark",
  "timeoutMs",
  "onTimeout",
  "retry",
  "onError",
  "batch",
  "priority",
  "signal",
  "meter",
  "modelName",
]);
const BATCH = keys<BatchOptions>()(["maxRows", "maxDelayMs"]);
const FIXED = keys<FixedDelayRetry<unknown>>()([
  "strategy",
  "delayMs",
  "maxAttempts",
  "retryOnError",
  "retryOnResult",
]);
const EXPONENTIAL = keys<ExponentialBackoffRetry<unknown>>()([
  "strategy",
  "initialDelayMs",
  "maxDelayMs",
  "multiplier",
  "jitter",
  "maxAttempts",
  "retryOnError",
  "retryOnResult",
]);

const read = (name: string) => readFileSync(resolve(import.meta.dirname, "../docs", name), "utf8");

/** The option names in the first column of the page's tables: `name`, `name(args)`, `a.b`. */
function documented(page: string): Set<string> {
  const names = new Set<string>();
  for (const line of page.split("\n")) {
    const cell = /^\| `([A-Za-z.]+)(?:\([^)]*\))?`/.exec(line);
    if (cell?.[1] !== undefined) names.add(cell[1]);
  }
  return names;
}

describe("the option reference pages", () => {
  it("docs/client.md has a row for every client option and reconnect key", () => {
    const rows = documented(read("client.md"));
    const wanted = [
      ...CLIENT.filter((key) => key !== "reconnect"),
      ...RECONNECT.map((key) => `reconnect.${key}`),
    ];
    expect(wanted.filter((key) => !rows.has(key))).toEqual([]);
  });

  it("docs/client.md names every infer option", () => {
    const page = read("client.md");
    expect(INFER.filter((key) => !page.includes(`\`${key}\``))).toEqual([]);
  });

  it("docs/operator.md has a row for every operator option and names every batch and retry key", () => {
    const page = read("operator.md");
    const rows = documented(page);
    expect(OPERATOR.filter((key) => !rows.has(key))).toEqual([]);
    const nested = [...new Set([...BATCH, ...FIXED, ...EXPONENTIAL])];
    expect(nested.filter((key) => !page.includes(key))).toEqual([]);
  });
});
