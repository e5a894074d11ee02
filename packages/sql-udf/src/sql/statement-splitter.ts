import { isSymbol, type Token, tokenize } from "./tokenizer.js";

/** One statement of a script: its tokens (ending with an `end` token) and its text. */
export interface SqlStatement {
  readonly tokens: readonly Token[];
  readonly text: string;
  /** Offset of the statement's first token in the script. */
  readonly start: number;
}

/** Splits a script at top-level semicolons; empty statements are dropped. */
export function splitStatements(source: string): SqlStatement[] {
  const tokens = tokenize(source);
  const statements: SqlStatement[] = [];
  let current: Token[] = [];
  for (const token of tokens) {
    if (token.kind === "end" || isSymbol(token, ";")) {
      if (current.length > 0) {
        const first = current[0] as Token;
        const last = current[current.length - 1] as Token;
        statements.push({
          tokens: [
            ...current,
            { ...token, kind: "end", value: "", start: last.end, end: last.end },
          ],
          text: source.slice(first.start, last.end),
          start: first.start,
        });
      }
      current = [];
      continue;
    }
    current.push(token);
  }
  return statements;
}
