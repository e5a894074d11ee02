import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
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

/**
 * The names of every package a user installs with this one (its production closure:
 * dependencies, optional and peer dependencies, recursively), read from the installed tree.
 * Client packages test that onnxruntime-node and the server stay out of it (DESIGN §1).
 */
export function installClosure(packageDir: string): Set<string> {
  const seen = new Set<string>();
  const pending = [realpathSync(packageDir)];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    const manifest = readManifest(dir);
    const names = Object.keys({
      ...manifest.dependencies,
      ...manifest.optionalDependencies,
      ...manifest.peerDependencies,
    });
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      const location = locate(name, dir);
      if (location !== undefined) pending.push(location);
    }
  }
  return seen;
}
