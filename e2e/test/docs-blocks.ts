import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** The repository root (this file is `e2e/test/docs-blocks.ts`). */
export const REPOSITORY = join(import.meta.dirname, "..", "..");

/** One fenced code block of a Markdown file. */
export interface DocBlock {
  /** `path:line` of the opening fence, for test names and failures. */
  readonly where: string;
  readonly language: string;
  readonly code: string;
  /** The reason given by a `<!-- docs-test: skip <reason> -->` line right above the fence. */
  readonly skip: string | undefined;
  /** Whether a `<!-- docs-test: continues -->` line joins it to the block before it. */
  readonly continues: boolean;
}

const MARKER = /^<!--\s*docs-test:\s*(skip|continues)\b\s*(.*?)\s*-->$/;

/** Every README.md and docs/*.md the repository tracks, outside changelogs and generated output. */
export function documentationFiles(): string[] {
  const tracked = execFileSync("git", ["ls-files", "-z", "--", "*.md"], {
    cwd: REPOSITORY,
    encoding: "utf8",
  })
    .split("\0")
    .filter(Boolean);
  return tracked.filter((path) => /(^|\/)README\.md$|(^|\/)docs\/[^/]+\.md$/.test(path)).sort();
}

/**
 * The file's `<!-- docs-test: setup … -->` comment, if any: a module run before each of its
 * script blocks, which defines (as globals) what the blocks take as given, invisible to readers.
 */
export function setupOf(path: string): string | undefined {
  const text = readFileSync(join(REPOSITORY, path), "utf8");
  return /<!--\s*docs-test:\s*setup\s*\n([\s\S]*?)-->/.exec(text)?.[1];
}

/** The fenced blocks of one file, with the markers that apply to them. */
export function blocksOf(path: string): DocBlock[] {
  const lines = readFileSync(join(REPOSITORY, path), "utf8").split("\n");
  const blocks: DocBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[index] ?? "");
    if (open === null) continue;
    const indent = open[1] ?? "";
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length && (lines[end] ?? "").trim() !== "```"; end++) {
      body.push((lines[end] ?? "").slice(indent.length));
    }
    let skip: string | undefined;
    let continues = false;
    // Markers sit on the lines right above the fence (blank lines allowed between).
    for (let above = index - 1; above >= 0; above--) {
      const line = (lines[above] ?? "").trim();
      if (line === "") continue;
      const marker = MARKER.exec(line);
      if (marker === null) break;
      if (marker[1] === "continues") continues = true;
      else skip = marker[2] ?? "";
    }
    blocks.push({
      where: `${relative(REPOSITORY, join(REPOSITORY, path))}:${index + 1}`,
      language: open[2] ?? "",
      code: `${body.join("\n")}\n`,
      skip,
      continues,
    });
    index = end;
  }
  return blocks;
}

/** `A=1 B=2 cmd args` → the environment and the command. */
export function splitEnv(command: string): { env: Record<string, string>; rest: string } {
  const env: Record<string, string> = {};
  let rest = command;
  for (;;) {
    const match = /^([A-Z_][A-Z0-9_]*)=(\S*)\s+/.exec(rest);
    if (match === null) return { env, rest };
    env[match[1] as string] = match[2] as string;
    rest = rest.slice(match[0].length);
  }
}
