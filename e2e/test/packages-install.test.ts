import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blocksOf, REPOSITORY, splitEnv } from "./docs-blocks.js";

// Each published package as a user gets it: packed with pnpm (workspace ranges become
// versions), installed with plain npm into an empty project from those tarballs, with the
// environment of the server README's install command for a CPU-only or offline machine (read
// from the README, so the command documented there is the one tested here).

interface Manifest {
  readonly name: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly repository?: { readonly url?: string; readonly directory?: string };
  readonly homepage?: string;
  readonly bugs?: { readonly url?: string };
  readonly keywords?: readonly string[];
  readonly files?: readonly string[];
  readonly bin?: Record<string, string>;
}

const INSTALL_TIMEOUT_MS = 600_000;
/** What installing the client brings, as its README states. */
const CLIENT_CLOSURE = [
  "@bufbuild/protobuf",
  "@connectrpc/connect",
  "@connectrpc/connect-node",
  "@gpu-sidecar/async-inference",
  "@gpu-sidecar/sidecar-core",
  "@opentelemetry/api",
];

/** The server README's offline install: the block whose opt-out names this test. */
const OFFLINE_INSTALL = (() => {
  const readme = "packages/sidecar-server/README.md";
  const block = blocksOf(readme).find((candidate) =>
    candidate.skip?.includes("e2e/test/packages-install.test.ts"),
  );
  if (block === undefined) {
    throw new Error(`${readme} has no install block whose docs-test opt-out names this test`);
  }
  const { env, rest } = splitEnv(block.code.trim());
  if (rest !== "npm install @gpu-sidecar/sidecar-server") {
    throw new Error(`${block.where}: expected "<VAR>=<value> npm install …", found "${rest}"`);
  }
  return { where: block.where, env };
})();

/**
 * The environment every npm install here runs with: the documented variables on top of ours,
 * without any onnxruntime-node or ignore-scripts setting of our own that could do their work.
 */
const INSTALL_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(ONNXRUNTIME_NODE_|npm_config_(onnxruntime|ignore_scripts))/i.test(name),
    ),
  ),
  ...OFFLINE_INSTALL.env,
  npm_config_update_notifier: "false",
};

const packages = readdirSync(join(REPOSITORY, "packages"))
  .map((name) => join(REPOSITORY, "packages", name))
  .filter((dir) => existsSync(join(dir, "package.json")))
  .map((dir) => ({
    dir,
    manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest,
  }))
  .filter(({ manifest }) => manifest.private !== true);

const work = mkdtempSync(join(tmpdir(), "gpu-sidecar-pack-"));
const tarballs = new Map<string, string>();

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = INSTALL_ENV,
): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      command,
      args,
      { cwd, env, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error === null) done(stdout);
        else fail(new Error(`${command} ${args.join(" ")} in ${cwd}: ${error.message}\n${stderr}`));
      },
    );
  });
}

/** An empty npm project with `specs` installed; returns its directory. */
async function install(name: string, specs: readonly string[]): Promise<string> {
  const project = join(work, name);
  mkdirSync(project);
  await run("npm", ["init", "-y"], project);
  await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...specs],
    project,
  );
  return project;
}

/** Relative Markdown links (`](path)`) of a file that do not resolve inside `root`. */
function brokenLinks(file: string, root: string): string[] {
  const text = readFileSync(file, "utf8");
  const broken: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (target === undefined || /^(https?:|mailto:|#)/.test(target)) continue;
    const path = resolve(dirname(file), target.split("#")[0] ?? "");
    if (relative(root, path).startsWith("..") || !existsSync(path)) broken.push(target);
  }
  return broken;
}

/** Run in the installed project: its own gpu-sidecar answers one REST inference on `fraud`. */
const SERVE_ONE = `
import { spawnSidecar } from "@gpu-sidecar/sidecar-server/testing";
const sidecar = spawnSidecar({ uds: false });
try {
  const { httpUrl } = await sidecar.serving;
  const response = await fetch(httpUrl + "/v2/models/fraud/infer", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      inputs: [{ name: "features", shape: [1, 16], datatype: "FP32", data: new Array(16).fill(0.5) }],
    }),
  });
  if (!response.ok) throw new Error(response.status + " " + (await response.text()));
  console.log(JSON.stringify(await response.json()));
} finally {
  await sidecar.stop();
}
`;

let everything: string;

beforeAll(async () => {
  const destination = join(work, "tarballs");
  mkdirSync(destination);
  for (const { dir, manifest } of packages) {
    if (!existsSync(join(dir, "dist"))) {
      throw new Error(`${manifest.name} is not built: e2e must depend on it (package.json)`);
    }
    const before = new Set(readdirSync(destination));
    await run("npx", ["--yes", "pnpm@12.4.2", "pack", "--pack-destination", destination], dir);
    const packed = readdirSync(destination).find((file) => !before.has(file));
    if (packed === undefined) throw new Error(`pnpm pack wrote nothing for ${manifest.name}`);
    tarballs.set(manifest.name, join(destination, packed));
  }
  everything = await install("everything", [...tarballs.values()]);
}, INSTALL_TIMEOUT_MS + 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

describe("each package, packed and installed with npm", () => {
  const license = readFileSync(join(REPOSITORY, "LICENSE"), "utf8");

  it.each(packages.map(({ manifest }) => [manifest.name, manifest] as const))(
    "%s ships its LICENSE, README and docs, with links that resolve in the package",
    (name, manifest) => {
      const installed = join(everything, "node_modules", name);
      expect(readFileSync(join(installed, "LICENSE"), "utf8")).toBe(license);
      expect(manifest.license).toBe("Apache-2.0");
      expect(existsSync(join(installed, "README.md"))).toBe(true);
      const docs = join(installed, "docs");
      const pages = existsSync(docs) ? readdirSync(docs).map((page) => join(docs, page)) : [];
      const source = packages.find((entry) => entry.manifest.name === name)?.dir ?? "";
      expect(pages.length).toBe(
        existsSync(join(source, "docs")) ? readdirSync(join(source, "docs")).length : 0,
      );
      for (const file of [join(installed, "README.md"), ...pages]) {
        expect(brokenLinks(file, installed), relative(everything, file)).toEqual([]);
      }
      expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
      expect(manifest.repository?.directory).toBe(relative(REPOSITORY, source));
      expect(manifest.homepage).toMatch(/^https:\/\//);
      expect(manifest.bugs?.url).toMatch(/^https:\/\//);
      expect(manifest.keywords?.length ?? 0).toBeGreaterThan(0);
    },
  );

  it.each(packages.map(({ manifest }) => [manifest.name] as const))(
    "%s loads from ESM and CommonJS",
    async (name) => {
      const script = `import(${JSON.stringify(name)}).then((m) => { require(${JSON.stringify(name)}); console.log(Object.keys(m).length); })`;
      const exported = Number(await run(process.execPath, ["-e", script], everything));
      expect(exported).toBeGreaterThan(0);
    },
    60_000,
  );

  it(`installed as ${OFFLINE_INSTALL.where} says, gives a working gpu-sidecar command without downloading CUDA libraries`, async () => {
    // npm ran the install scripts (onnxruntime-node's among them): the variable skipped the download.
    expect((await run("npm", ["config", "get", "ignore-scripts"], everything)).trim()).toBe(
      "false",
    );
    const runtime = join(everything, "node_modules", "onnxruntime-node", "bin");
    const files = readdirSync(runtime, { recursive: true, encoding: "utf8" });
    expect(files.filter((file) => /providers_(cuda|shared|tensorrt)/.test(file))).toEqual([]);

    const version = await run("npx", ["--no-install", "gpu-sidecar", "--version"], everything);
    const { version: expected } = JSON.parse(
      readFileSync(join(REPOSITORY, "packages", "sidecar-server", "package.json"), "utf8"),
    ) as { version: string };
    expect(version.trim()).toBe(expected);
    // The installed command serves the bundled ONNX model on the CPU runtime the tarball carries.
    const answer = await run(
      process.execPath,
      ["--input-type=module", "-e", SERVE_ONE],
      everything,
    );
    expect(JSON.parse(answer)).toMatchObject({
      model_name: "fraud",
      outputs: [{ name: "fraud_score", shape: [1, 1] }],
    });
  }, 120_000);
});

describe("the client installed on its own", () => {
  it(
    "brings what the client runs and nothing else (its README's list)",
    async () => {
      const client = await install("client", [
        tarballs.get("@gpu-sidecar/async-inference") ?? "",
        tarballs.get("@gpu-sidecar/sidecar-core") ?? "",
      ]);
      const modules = join(client, "node_modules");
      const installed = readdirSync(modules)
        .filter((entry) => !entry.startsWith("."))
        .flatMap((entry) =>
          entry.startsWith("@")
            ? readdirSync(join(modules, entry)).map((name) => `${entry}/${name}`)
            : [entry],
        )
        .sort();
      expect(installed).toEqual(CLIENT_CLOSURE);
      const bytes = Number(
        (await run("du", ["-sb", modules], client)).split(/\s/)[0] ?? Number.NaN,
      );
      // The README says 6.0 MiB; a closure that grows past 7 MiB should update it.
      expect(bytes).toBeLessThan(7 * 1024 * 1024);
    },
    INSTALL_TIMEOUT_MS,
  );
});
