/** One problem in a configuration, located precisely enough to fix without reading code. */
export interface ConfigIssue {
  /** Where the value came from: a file path, an environment variable or a CLI flag. */
  readonly source: string;
  /** Key path such as `dynamic_batching.preferred_batch_sizes[1]`; empty for the whole document. */
  readonly path: string;
  /** The value found at `path`; `undefined` when the key is missing. */
  readonly received: unknown;
  /** What is wrong and what would be accepted. */
  readonly message: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_VALUE_CHARS = 80;

/** `["server", "http_port"]` → `server.http_port`; odd keys (input names) are quoted. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else if (typeof key === "string" && IDENTIFIER.test(key)) text += text === "" ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/** A printable, bounded rendering of a received value; secrets never reach a log line. */
export function formatReceived(path: string, value: unknown): string {
  if (value === undefined) return "nothing";
  if (/token/i.test(path)) return "<redacted>";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** `source: path: message (got value)`; a whole-document issue with no value omits the last two. */
export function formatConfigIssue(issue: ConfigIssue): string {
  if (issue.path === "" && issue.received === undefined) return `${issue.source}: ${issue.message}`;
  const where = issue.path === "" ? issue.source : `${issue.source}: ${issue.path}`;
  return `${where}: ${issue.message} (got ${formatReceived(issue.path, issue.received)})`;
}
