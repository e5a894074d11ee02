import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { type Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ExecutorMode, parseSidecarConfig } from "@gpu-sidecar/sidecar-core/config";
import { type Logger, pino } from "pino";
import { expect } from "vitest";
import { FRAUD_FEATURE_COUNT, syntheticTransaction } from "../src/demo-model/fraud-reference.js";
import type * as ServerModule from "../src/index.js";
import type { Sidecar, SidecarMetrics } from "../src/index.js";

// Model instances run the built worker entry (dist/instance-worker.js), so the sidecar under
// test is the built one: run the package build first (turbo's test task does). Typed from the
// source, imported by URL so that type-checking does not need a build.
const built = new URL("../dist/index.js", import.meta.url).href;
const { startSidecar } = (await import(built)) as typeof ServerModule;

/** The bundled demo repository: `fraud` (ONNX) and `fraud-mock`. */
export const PACKAGE_MODELS = fileURLToPath(new URL("../models", import.meta.url));
/** `twin` (mock, outputs a and b) and `slow` (mock, 300 ms per batch of one row). */
export const FIXTURE_REPO = fileURLToPath(new URL("./fixtures/server/repo", import.meta.url));
/** `slow` (mock, 1 s per batch of up to 8 rows). */
export const SLOW_REPO = fileURLToPath(new URL("./fixtures/server/slow-repo", import.meta.url));

/** A fresh directory short enough for a Unix socket path (107 bytes on Linux). */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "gs-"));
}

/** Both executors, for tests that must hold for either. */
export const EXECUTORS: readonly ExecutorMode[] = ["worker", "inline"];

/**
 * `repository` with every model's batches run by `executor`: the fixtures leave it at the
 * default ("worker"); for "inline", a copy whose configs say so.
 */
export function withExecutor(repository: string, executor: ExecutorMode): string {
  if (executor === "worker") return repository;
  const copy = join(tempDir(), "repo");
  cpSync(repository, copy, { recursive: true });
  for (const model of readdirSync(copy)) {
    const path = join(copy, model, "config.json");
    const config: unknown = JSON.parse(readFileSync(path, "utf8"));
    writeFileSync(path, JSON.stringify({ ...(config as object), executor }));
  }
  return copy;
}

export interface StartOptions {
  readonly repository: string;
  readonly uds?: string | false;
  readonly mode?: "none" | "explicit";
  readonly models?: readonly string[];
  readonly maxRequestBytes?: number;
  readonly bearerToken?: string;
  readonly drainTimeoutMs?: number;
  readonly drainGraceMs?: number;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Hooks the batchers call (the metrics port stays off). */
  readonly metrics?: SidecarMetrics;
}

/** An in-process sidecar on ephemeral ports, silent. */
export function start(options: StartOptions): Promise<Sidecar> {
  const config = parseSidecarConfig({
    model_repository: options.repository,
    model_control_mode: options.mode ?? "none",
    models: [...(options.models ?? [])],
    server: {
      http_port: 0,
      grpc_port: 0,
      metrics_port: false,
      uds: { path: options.uds ?? false },
      limits: {
        ...(options.maxRequestBytes === undefined
          ? {}
          : { max_request_bytes: options.maxRequestBytes }),
        ...(options.drainTimeoutMs === undefined
          ? {}
          : { drain_timeout_ms: options.drainTimeoutMs }),
        ...(options.drainGraceMs === undefined ? {} : { drain_grace_ms: options.drainGraceMs }),
      },
      auth: options.bearerToken === undefined ? {} : { bearer_token: options.bearerToken },
    },
    log: { level: "silent" },
  });
  return startSidecar(config, {
    logger: options.logger ?? pino({ level: "silent" }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
}

/** What {@link watchQueues} has seen of one model's batcher. */
export interface QueueWatch {
  /** Requests in the queue now. */
  readonly depth: number;
  /** Requests that left the queue (for a batch, or cancelled/expired there). */
  readonly dequeued: number;
  /** Batches that ended. */
  readonly batches: number;
  /** Requests accepted and not yet answered: queued or running. */
  readonly inFlight: number;
}

/**
 * Batcher hooks (pass `metrics` to {@link start}) that keep each model's queue, so that a test
 * waits for "the request is running" or "queued" instead of sleeping.
 */
export function watchQueues(): {
  readonly metrics: SidecarMetrics;
  of(model: string): QueueWatch;
} {
  const watches = new Map<
    string,
    { depth: number; dequeued: number; batches: number; inFlight: number }
  >();
  const of = (model: string) => {
    let watch = watches.get(model);
    if (watch === undefined) {
      watch = { depth: 0, dequeued: 0, batches: 0, inFlight: 0 };
      watches.set(model, watch);
    }
    return watch;
  };
  return {
    metrics: {
      batcherMetrics: (model) => ({
        onQueueDepth(depth) {
          const watch = of(model);
          if (depth < watch.depth) watch.dequeued += watch.depth - depth;
          watch.depth = depth;
        },
        onBatch() {
          of(model).batches++;
        },
        onInFlight(count) {
          of(model).inFlight = count;
        },
      }),
    },
    of: (model) => ({ ...of(model) }),
  };
}

/** `rows` synthetic transactions, row-major. */
export function fraudFeatures(rows: number, seed = 0): Float32Array {
  const values = new Float32Array(rows * FRAUD_FEATURE_COUNT);
  for (let row = 0; row < rows; row++) {
    values.set(syntheticTransaction(seed + row), row * FRAUD_FEATURE_COUNT);
  }
  return values;
}

export function bytesOf(values: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The FP32 values of raw bytes (copied: a Buffer's `slice` would share the pool's memory). */
export function float32s(bytes: Uint8Array): number[] {
  return Array.from(new Float32Array(new Uint8Array(bytes).buffer));
}

/** Each score equals the JS reference's to float32 precision. */
export function expectScores(actual: readonly number[], expected: Float32Array): void {
  expect(actual).toHaveLength(expected.length);
  for (const [index, value] of actual.entries()) {
    expect(value).toBeCloseTo(expected[index] ?? Number.NaN, 6);
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Whether the request went over a kept-alive connection used before. */
  readonly reusedSocket: boolean;
  json(): unknown;
}

export interface HttpCall {
  readonly method?: string;
  readonly body?: Uint8Array | string;
  readonly headers?: Record<string, string | number>;
  readonly agent?: Agent;
  readonly signal?: AbortSignal;
}

/** One HTTP/1.1 request to `port` on loopback. */
export function http(port: number, path: string, call: HttpCall = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        method: call.method ?? (call.body === undefined ? "GET" : "POST"),
        headers: call.headers,
        agent: call.agent,
        signal: call.signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            reusedSocket: request.reusedSocket,
            json: () => JSON.parse(body.toString()),
          });
        });
      },
    );
    request.on("error", reject);
    request.end(call.body);
  });
}

/** A JSON POST. */
export function postJson(
  port: number,
  path: string,
  body: unknown,
  call: Omit<HttpCall, "body"> = {},
): Promise<HttpAnswer> {
  return http(port, path, {
    ...call,
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...call.headers },
  });
}

export function portOf(address: { readonly port: number } | undefined): number {
  if (address === undefined) throw new Error("listener not enabled");
  return address.port;
}
