import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPOSITORY } from "./docs-blocks.js";

// Each published package as a user gets it: packed with pnpm (workspace ranges become
// versions), installed with plain npm into an empty project from those tarballs. onnxruntime-node
// is installed the way the server README tells a CPU-only machine to: ONNXRUNTIME_NODE_INSTALL=skip.

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

function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      command,
      args,
      {
        cwd,
        timeout: INSTALL_TIMEOUT_MS,
        maxBuffer: 64 << 20,
        env: {
          ...process.env,
          ONNXRUNTIME_NODE_INSTALL: "skip",
          npm_config_update_notifier: "false",
        },
      },
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

  it("gives a working gpu-sidecar command without downloading CUDA libraries", async () => {
    const version = await run("npx", ["--no-install", "gpu-sidecar", "--version"], everything);
    const { version: expected } = JSON.parse(
      readFileSync(join(REPOSITORY, "packages", "sidecar-server", "package.json"), "utf8"),
    ) as { version: string };
    expect(version.trim()).toBe(expected);
    const runtime = join(everything, "node_modules", "onnxruntime-node", "bin");
    const files = readdirSync(runtime, { recursive: true, encoding: "utf8" });
    expect(files.filter((file) => /providers_cuda|providers_tensorrt/.test(file))).toEqual([]);
  }, 60_000);
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
