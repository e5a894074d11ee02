import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, parse } from "node:path";
import { describe, expect, it } from "vitest";

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const packageDir = join(dirname(new URL(import.meta.url).pathname), "..");

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;
}

/** Node's lookup: `node_modules/<name>` in `from` and each directory above it. */
function resolvePackageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (!dir.endsWith("node_modules")) {
      const candidate = join(dir, "node_modules", name);
      if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    }
    if (dir === parse(dir).root) return undefined;
  }
}

/**
 * Every package a production install of this one brings: `dependencies`, optional ones and
 * required peers, recursively, as they are linked in node_modules (devDependencies never).
 */
function productionClosure(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const queue = [root];
  for (let dir = queue.pop(); dir !== undefined; dir = queue.pop()) {
    const pkg = readPackage(dir);
    const optionalPeers = new Set(
      Object.entries(pkg.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional === true)
        .map(([name]) => name),
    );
    const names = [
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.optionalDependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name)),
    ];
    for (const name of names) {
      const depDir = resolvePackageDir(name, dir);
      if (depDir === undefined) {
        if (name in (pkg.optionalDependencies ?? {})) continue;
        throw new Error(`${pkg.name} depends on ${name}, which is not installed`);
      }
      if (found.has(depDir)) continue;
      found.set(depDir, name);
      queue.push(depDir);
    }
  }
  return found;
}

describe("install closure", () => {
  it("never brings onnxruntime-node or the sidecar server into a service that embeds the client", () => {
    const names = new Set(productionClosure(realpathSync(packageDir)).values());
    // The walk reaches the transitive dependencies (sidecar-core's own), so a miss below is real.
    expect(names).toContain("@connectrpc/connect-node");
    expect(names).toContain("@gpu-sidecar/sidecar-core");
    expect(names).toContain("zod");
    expect([...names].filter((name) => /onnxruntime|sidecar-server/.test(name))).toEqual([]);
  });
});
