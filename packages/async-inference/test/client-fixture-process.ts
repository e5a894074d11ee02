import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createSidecarClient, type SidecarClient } from "../src/client/sidecar-client.js";
import type { SidecarClientOptions } from "../src/client/sidecar-client-options.js";
import { until } from "./client-fake-sidecar.js";

const SERVER = new URL("./client-fixture-server.mjs", import.meta.url).pathname;
const children = new Set<ChildProcess>();
const clients = new Set<SidecarClient>();
let socketDir: string | undefined;
let refusingServers = 0;

/** A running client-fixture-server.mjs, and what it has printed. */
export interface FixtureServer {
  /** `http://127.0.0.1:<port>` or `unix://<path>`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** How many times the server printed `line` ("infer", "refused", "stream refused"). */
  count(line: string): number;
}

/**
 * Starts the fixture server with `args` (where, delay ms, refusal mode: see the server's own
 * comment); resolves once it listens. The one way the client's process tests start it.
 */
export function startFixtureServer(args: readonly string[]): Promise<FixtureServer> {
  const child = spawn(process.execPath, [SERVER, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  const counts = new Map<string, number>();
  const count = (line: string) => counts.get(line) ?? 0;
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`fixture server exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      counts.set(line, count(line) + 1);
      const at = /^listening (.+)$/.exec(line)?.[1];
      if (at === undefined) return;
      const url = /^\d+$/.test(at) ? `http://127.0.0.1:${at}` : `unix://${at}`;
      resolve({ url, child, count });
    });
  });
}

/** `name` as a Unix socket path, in a directory of the fixtures' own that `stopFixtures` removes. */
export function fixtureSocketPath(name: string): string {
  socketDir ??= mkdtempSync(join(tmpdir(), "client-fixture-"));
  return join(socketDir, name);
}

/**
 * How the fixture server refuses inference (see its own comment): it ends inference streams
 * unanswered (it prints "refused" for each), or it refuses ModelStreamInfer alone while its
 * session stays open ("stream refused").
 */
export type FixtureRefusal =
  | "refused-stream"
  | "no-error-reset"
  | "goaway-not-covered"
  | "stream-unimplemented"
  | "stream-ends";

/**
 * A server refusing as `refusal` says on a fresh Unix socket, the client's local endpoint;
 * without one, an answering server on TCP loopback.
 */
export function startRefusingServer(refusal?: FixtureRefusal): Promise<FixtureServer> {
  if (refusal === undefined) return startFixtureServer(["0", "0"]);
  refusingServers += 1;
  return startFixtureServer([fixtureSocketPath(`refusing-${refusingServers}.sock`), "0", refusal]);
}

/** A client that `stopFixtures` closes. */
export function fixtureClient(options: SidecarClientOptions): SidecarClient {
  const client = createSidecarClient(options);
  clients.add(client);
  return client;
}

/** A fixture client, once every one of its endpoints serves. */
export async function servingFixtureClient(options: SidecarClientOptions): Promise<SidecarClient> {
  const client = fixtureClient(options);
  await until(() => client.endpoints.every((e) => e.status === "serving"), 10_000);
  return client;
}

/** For `afterEach`: closes the fixtures' clients, SIGKILLs their servers, removes their sockets. */
export async function stopFixtures(): Promise<void> {
  await Promise.all([...clients].map((client) => client.close()));
  clients.clear();
  for (const child of children) child.kill("SIGKILL");
  children.clear();
  if (socketDir !== undefined) rmSync(socketDir, { recursive: true, force: true });
  socketDir = undefined;
}
