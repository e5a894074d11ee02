import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

const SERVER = new URL("./client-fixture-server.mjs", import.meta.url).pathname;
const children = new Set<ChildProcess>();

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

/** SIGKILLs every fixture server started so far (for `afterEach`). */
export function killFixtureServers(): void {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
}
