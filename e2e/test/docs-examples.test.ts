import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type SpawnedSidecar,
  type SpawnedSidecarAddresses,
  spawnSidecar,
  stopAllSidecars,
} from "@gpu-sidecar/sidecar-server/testing";
import { transform } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  blocksOf,
  type DocBlock,
  documentationFiles,
  REPOSITORY,
  setupOf,
  splitEnv,
} from "./docs-blocks.js";

// Every fenced block of every README.md and docs/*.md runs here (CONTRIBUTING.md, "Docs that
// run"): ts/js blocks as ES modules against a real sidecar, sh blocks command by command.
// Package docs run from a consumer's point of view (this package, whose node_modules hold every
// @gpu-sidecar package); the rest from the repository root.

const E2E = join(REPOSITORY, "e2e");
const SCRIPTS = new Set(["ts", "typescript", "js", "javascript", "mjs"]);
const SHELLS = new Set(["sh", "bash", "shell"]);
/** Output, config and query text: shown, not run. */
const DATA = new Set(["", "text", "json", "yaml", "yml", "promql"]);
/**
 * Commands checked elsewhere: installs by the pack-and-install test (packages-install.test.ts),
 * the repository's own pnpm scripts by CI itself, which runs them.
 */
const CHECKED_ELSEWHERE = /^(npm install|npx (--yes )?pnpm@12\.4\.2|pnpm)\b/;
const SIDECAR_COMMAND = /^(?:npx )?gpu-sidecar\b|^node \S*dist\/cli\.js\b/;
const BLOCK_TIMEOUT_MS = 60_000;

let at: SpawnedSidecarAddresses;
let workDir: string;

beforeAll(async () => {
  at = await spawnSidecar({ args: ["--metrics-port", "0"] }).serving;
  workDir = mkdtempSync(join(E2E, ".docs-run-"));
}, 60_000);

afterAll(async () => {
  await stopAllSidecars(2_000);
  rmSync(workDir, { recursive: true, force: true });
});

function port(url: string | undefined): string {
  return new URL(String(url)).port;
}

/**
 * The documented defaults (ports 8000/8001/8002, the socket /run/gpu-sidecar.sock) become the
 * test sidecar's: the only liberty taken with a block.
 */
function localize(code: string, addresses: SpawnedSidecarAddresses): string {
  return code
    .replaceAll(/(localhost|127\.0\.0\.1):8000\b/g, `127.0.0.1:${port(addresses.httpUrl)}`)
    .replaceAll(/(localhost|127\.0\.0\.1):8001\b/g, `127.0.0.1:${port(addresses.grpcUrl)}`)
    .replaceAll(/(localhost|127\.0\.0\.1):8002\b/g, `127.0.0.1:${port(addresses.metricsUrl)}`)
    .replaceAll("/run/gpu-sidecar.sock", String(addresses.socketPath));
}

interface Run {
  readonly code: number | null;
  readonly output: string;
}

function execute(file: string, args: readonly string[], cwd: string, env = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env: { ...process.env, ...env }, timeout: BLOCK_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/**
 * Package docs speak to a project that installed the packages; the others, and shell lines of
 * package docs that name the clone's own paths (`node packages/…`), to a clone.
 */
function cwdOf(block: DocBlock): string {
  if (!block.where.startsWith("packages/")) return REPOSITORY;
  const clone = block.language !== "ts" && /(^|\s)packages\//m.test(block.code);
  return clone ? REPOSITORY : E2E;
}

async function toModule(code: string): Promise<string> {
  const { code: js } = await transform(localize(code, at), {
    loader: "ts",
    format: "esm",
    target: "node20",
  });
  return js;
}

async function runScript(block: DocBlock, code: string, setup: string | undefined): Promise<void> {
  const name = block.where.replaceAll(/[/:.]/g, "_");
  const file = join(workDir, `${name}.mjs`);
  let js = await toModule(code);
  if (setup !== undefined) {
    writeFileSync(join(workDir, `${name}.setup.mjs`), await toModule(setup));
    // The setup's client keeps the process alive; the block itself has run to its end.
    js = `import "./${name}.setup.mjs";\n${js}\nprocess.exit(0);\n`;
  }
  writeFileSync(file, js);
  // The script sits in e2e/, so bare imports resolve as in a project that installed the packages.
  const { code: exit, output } = await execute(process.execPath, [file], E2E);
  expect(exit, `${block.where} exited ${exit}:\n${output}`).toBe(0);
}

/**
 * A block in runs: each sidecar command alone (started, to serve the rest of the block), every
 * stretch of other lines as one bash script (so quotes may span lines). Installs and the
 * repository's own scripts are dropped (checked elsewhere).
 */
function segmentsOf(code: string): { sidecar: boolean; text: string }[] {
  const segments: { sidecar: boolean; text: string }[] = [];
  const lines = code.replaceAll(/\\\n\s*/g, " ").split("\n");
  let script: string[] = [];
  const flush = () => {
    if (script.some((line) => line.trim() !== "" && !line.trim().startsWith("#"))) {
      segments.push({ sidecar: false, text: script.join("\n") });
    }
    script = [];
  };
  for (const line of lines) {
    const command = line.replace(/\s+#.*$/, "").trim();
    if (CHECKED_ELSEWHERE.test(splitEnv(command).rest)) continue;
    if (SIDECAR_COMMAND.test(splitEnv(command).rest)) {
      flush();
      segments.push({ sidecar: true, text: command });
    } else {
      script.push(line);
    }
  }
  flush();
  return segments;
}

async function runShell(block: DocBlock): Promise<void> {
  const cwd = cwdOf(block);
  let addresses = at;
  const started: SpawnedSidecar[] = [];
  try {
    for (const { sidecar: isSidecar, text } of segmentsOf(block.code)) {
      if (!isSidecar) {
        const script = localize(text, addresses);
        const run = await execute("bash", ["-eo", "pipefail", "-c", script], cwd, {
          PATH: binPath(),
        });
        expect(run.code, `${block.where}:\n${script}\n${run.output}`).toBe(0);
        continue;
      }
      const { env, rest } = splitEnv(text);
      const words = rest.split(/\s+/);
      const args = words.slice(words.findIndex((word) => /gpu-sidecar$|cli\.js$/.test(word)) + 1);
      if (args.some((arg) => ["-v", "--version", "--help", "-h"].includes(arg))) {
        const run = await execute("sh", ["-c", rest], cwd, { ...env, PATH: binPath() });
        expect(run.code, `${block.where}: ${text}\n${run.output}`).toBe(0);
        continue;
      }
      // A server command: started (on free ports unless the block names them) until the block ends.
      const serve = args[0] === "serve" ? args.slice(1) : args;
      const server = spawnSidecar({
        modelRepository: false,
        cwd,
        env: { ...process.env, ...env },
        args: ["--metrics-port", "0", ...serve],
      });
      started.push(server);
      addresses = await server.serving.catch((error: Error) => {
        throw new Error(`${block.where}: ${text}\n${error.message}`);
      });
    }
  } finally {
    await Promise.all(started.map((server) => server.stop(2_000)));
  }
}

/** `gpu-sidecar` on the PATH, as `npm install` puts it in node_modules/.bin. */
function binPath(): string {
  const bin = join(workDir, "bin");
  mkdirSync(bin, { recursive: true });
  const cli = join(E2E, "node_modules", "@gpu-sidecar", "sidecar-server", "dist", "cli.js");
  writeFileSync(join(bin, "gpu-sidecar"), `#!/bin/sh\nexec node ${cli} "$@"\n`, { mode: 0o755 });
  return `${bin}:${process.env.PATH}`;
}

for (const path of documentationFiles()) {
  const blocks = blocksOf(path);
  const setup = setupOf(path);
  if (blocks.length === 0) continue;
  describe(path, { timeout: BLOCK_TIMEOUT_MS + 30_000 }, () => {
    blocks.forEach((block, index) => {
      const name = `${block.where} (${block.language || "plain"})`;
      if (block.skip !== undefined) {
        it(`${name}: opted out`, () => {
          // An opt-out must say why, so that a reader can judge it.
          expect(block.skip, `${block.where}: docs-test: skip needs a reason`).toMatch(/\w{3,}/);
        });
        return;
      }
      if (DATA.has(block.language)) return;
      if (SCRIPTS.has(block.language)) {
        // A block marked `continues` runs with the blocks it continues, in one module.
        let code = block.code;
        for (let before = index; blocks[before]?.continues === true && before > 0; before--) {
          code = `${blocks[before - 1]?.code ?? ""}${code}`;
        }
        const continued = blocks[index + 1]?.continues === true;
        if (continued) return;
        it(name, () => runScript(block, code, setup));
        return;
      }
      if (SHELLS.has(block.language)) {
        it(name, () => runShell(block));
        return;
      }
      it(name, () => {
        expect.fail(
          `${block.where}: a \`${block.language}\` block is neither run nor data; run it here or mark it <!-- docs-test: skip <reason> -->`,
        );
      });
    });
  });
}
