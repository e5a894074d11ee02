import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";

const KEY = /^[^\s"'#:]+$/;

/**
 * Parses Flink configuration text in the flat `key: value` style of `config.yaml` (and the
 * legacy `flink-conf.yaml`) into a key → string map. Blank lines and `#` comments are skipped,
 * a trailing ` # comment` is dropped, and a value may be quoted with `"` or `'`. Nested YAML,
 * lines without `key: value`, and repeated keys are errors naming the line.
 */
export function parseConfigLines(text: string): Record<string, string> {
  const entries = new Map<string, { value: string; line: number }>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    if (/^\s/.test(raw)) {
      throw malformed(
        line,
        raw,
        "nested YAML is not supported; write flat keys like `a.b.c: value`",
      );
    }
    const separator = findSeparator(trimmed);
    const key = trimmed.slice(0, separator).trim();
    if (separator < 0 || !KEY.test(key)) {
      throw malformed(line, raw, "expected `key: value`");
    }
    const value = parseValue(trimmed.slice(separator + 1).trim(), line, raw);
    const previous = entries.get(key);
    if (previous !== undefined) {
      throw new ResourceProfileError(
        ResourceProfileErrorCode.InvalidConfig,
        `line ${line}: key "${key}" is set again (first on line ${previous.line}); keep one of them`,
      );
    }
    entries.set(key, { value, line });
  });
  return Object.fromEntries([...entries].map(([key, { value }]) => [key, value]));
}

/** The first `:` followed by a space or the end of line, as YAML requires. */
function findSeparator(line: string): number {
  const match = /:(?:\s|$)/.exec(line);
  return match === null ? -1 : match.index;
}

function parseValue(text: string, line: number, raw: string): string {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const end = text.lastIndexOf(quote);
    const rest = end > 0 ? text.slice(end + 1).trim() : "";
    if (end <= 0 || (rest !== "" && !rest.startsWith("#"))) {
      throw malformed(line, raw, `the value opens with ${quote} but is not closed by it`);
    }
    const inner = text.slice(1, end);
    return quote === '"' ? inner.replace(/\\(["\\])/g, "$1") : inner.replaceAll("''", "'");
  }
  const comment = /\s#/.exec(text);
  return (comment === null ? text : text.slice(0, comment.index)).trim();
}

function malformed(line: number, raw: string, reason: string): ResourceProfileError {
  return new ResourceProfileError(
    ResourceProfileErrorCode.InvalidConfig,
    `line ${line}: ${JSON.stringify(raw)} is malformed: ${reason}`,
  );
}
