import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** Node's lookup: the nearest `node_modules/<name>` above `fromDir`, resolved through links. */
function locate(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/** What a production install of the package in `dir` brings: never devDependencies. */
function installedWith(manifest: Manifest): string[] {
  const optionalPeers = new Set(
    Object.entries(manifest.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta.optional === true)
      .map(([name]) => name),
  );
  return [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name)),
  ];
}

/**
 * The names of every package a user installs with this one (dependencies, optional ones and
 * required peers, recursively), read from the installed tree. Client packages test that
 * onnxruntime-node and the server stay out of it (ARCHITECTURE.md §2).
 */
export function installClosure(packageDir: string): Set<string> {
  const seen = new Set<string>();
  const visited = new Set<string>();
  const pending = [realpathSync(packageDir)];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    const manifest = readManifest(dir);
    for (const name of installedWith(manifest)) {
      seen.add(name);
      const location = locate(name, dir);
      if (location === undefined) {
        if (name in (manifest.optionalDependencies ?? {})) continue;
        throw new Error(`${manifest.name} depends on ${name}, which is not installed`);
      }
      if (visited.has(location)) continue;
      visited.add(location);
      pending.push(location);
    }
  }
  return seen;
}
