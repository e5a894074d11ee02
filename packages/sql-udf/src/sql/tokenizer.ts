import { SqlError, SqlErrorCode, type SqlPosition } from "../sql-error.js";

export type TokenKind =
  /** A bare word: keyword or unquoted identifier. `value` is as written. */
  | "word"
  /** A `quoted` or "quoted" identifier; `value` is the name without quotes. */
  | "quoted"
  /** A 'string' literal; `value` is its content with '' unescaped. */
  | "string"
  | "number"
  /** One punctuation or operator character (two for `=>`, `<=`, `>=`, `<>`, `!=`, `::`, `||`). */
  | "symbol"
  | "end";

export interface Token extends SqlPosition {
  readonly kind: TokenKind;
  readonly value: string;
  /** Offsets of the token in the source, `end` exclusive. */
  readonly start: number;
  readonly end: number;
}

const TWO_CHAR_SYMBOLS = new Set(["=>", "<=", ">=", "<>", "!=", "::", "||"]);
const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

/** 1-based line and column of `offset` in `source`. */
export function positionOf(source: string, offset: number): SqlPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export function syntaxError(source: string, offset: number, message: string): SqlError {
  const position = positionOf(source, offset);
  return new SqlError(
    SqlErrorCode.SyntaxError,
    `syntax error at line ${position.line}, column ${position.column}: ${message}`,
    { position },
  );
}

/**
 * Splits SQL text into tokens, skipping whitespace and `--` / block comments. Enough of SQL's
 * lexical grammar to find statement boundaries and parse model statements; DuckDB parses the rest.
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const push = (kind: TokenKind, value: string, start: number, end: number) => {
    tokens.push({ kind, value, start, end, line, column: start - lineStart + 1 });
  };
  const advanceLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) {
      if (source[k] === "\n") {
        line++;
        lineStart = k + 1;
      }
    }
  };
  while (i < source.length) {
    const c = source[i] as string;
    if (c === "\n") {
      line++;
      lineStart = ++i;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "-" && source[i + 1] === "-") {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      const close = source.indexOf("*/", i + 2);
      if (close < 0) throw syntaxError(source, i, "a /* comment is never closed with */");
      advanceLines(i, close);
      i = close + 2;
      continue;
    }
    const start = i;
    if (c === "'" || c === "`" || c === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= source.length) {
          const what = c === "'" ? "string literal" : "quoted identifier";
          throw syntaxError(source, start, `the ${what} opened here is never closed with ${c}`);
        }
        const d = source[i] as string;
        if (d === c) {
          if (source[i + 1] === c) {
            value += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += d;
        i++;
      }
      const startLine = line;
      const startColumn = start - lineStart + 1;
      tokens.push({
        kind: c === "'" ? "string" : "quoted",
        value,
        start,
        end: i,
        line: startLine,
        column: startColumn,
      });
      advanceLines(start, i);
      continue;
    }
    if (WORD_START.test(c)) {
      while (i < source.length && WORD_PART.test(source[i] as string)) i++;
      push("word", source.slice(start, i), start, i);
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(source[i + 1] ?? ""))) {
      while (i < source.length && /[0-9.]/.test(source[i] as string)) i++;
      if (/[eE]/.test(source[i] ?? "") && /[-+0-9]/.test(source[i + 1] ?? "")) {
        i += 2;
        while (i < source.length && /[0-9]/.test(source[i] as string)) i++;
      }
      push("number", source.slice(start, i), start, i);
      continue;
    }
    const two = source.slice(i, i + 2);
    if (TWO_CHAR_SYMBOLS.has(two)) {
      i += 2;
      push("symbol", two, start, i);
      continue;
    }
    i++;
    push("symbol", c, start, i);
  }
  tokens.push({
    kind: "end",
    value: "",
    start: source.length,
    end: source.length,
    line,
    column: source.length - lineStart + 1,
  });
  return tokens;
}

/** Whether `token` is the keyword `keyword` (case-insensitive; quoted names never are). */
export function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token?.kind === "word" && token.value.toUpperCase() === keyword;
}

export function isSymbol(token: Token | undefined, symbol: string): boolean {
  return token?.kind === "symbol" && token.value === symbol;
}

/** How a token reads in an error message. */
export function describeToken(token: Token): string {
  if (token.kind === "end") return "the end of the statement";
  if (token.kind === "string") return `'${token.value}'`;
  if (token.kind === "quoted") return `\`${token.value}\``;
  return `"${token.value}"`;
}
