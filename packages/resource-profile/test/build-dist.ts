import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const built = join(root, "dist", "index.js");

/** Builds dist/ when it is missing or older than a source file (turbo builds it first anyway). */
export default function setup(): void {
  const builtAt = modifiedAt(built);
  const sources = readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" });
  const stale = sources.some((file) => modifiedAt(join(root, "src", file)) > builtAt);
  if (stale) execFileSync("npx", ["tsup"], { cwd: root, stdio: "inherit" });
}

function modifiedAt(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}
