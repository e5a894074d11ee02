import { syntaxErrorAt, TokenCursor } from "./token-cursor.js";
import { describeToken, isKeyword, isSymbol, type Token } from "./tokenizer.js";

/** `ML_PREDICT(TABLE t, MODEL m, DESCRIPTOR(c1, ...) [, MAP['k', 'v', ...]])` in a query. */
export interface MlPredictCall {
  readonly kind: "table";
  /** Token indexes of `ML_PREDICT` and of its closing parenthesis. */
  readonly first: number;
  readonly last: number;
  readonly table: string;
  readonly model: string;
  readonly columns: readonly string[];
  readonly config: Readonly<Record<string, string>>;
}

/** `ML_SCORE(MODEL m, expr, ...)`: the scalar form, the model's first output for the row's values. */
export interface MlScoreCall {
  readonly kind: "scalar";
  readonly first: number;
  readonly last: number;
  readonly model: string;
  /** Each argument expression as token index ranges, `end` exclusive. */
  readonly args: readonly { readonly start: number; readonly end: number }[];
}

export type ModelCall = MlPredictCall | MlScoreCall;

/** Skips Flink's named-argument prefix (`INPUT =>`, `MODEL =>`, `ARGS =>`, `CONFIG =>`). */
function skipArgumentName(cursor: TokenCursor): void {
  if (isSymbol(cursor.peek(1), "=>")) {
    cursor.next();
    cursor.next();
  }
}

function parseMap(cursor: TokenCursor): Record<string, string> {
  cursor.expectKeyword("MAP", "for ML_PREDICT's options (MAP['key', 'value', ...])");
  cursor.expectSymbol("[", "after MAP");
  const config: Record<string, string> = {};
  if (cursor.acceptSymbol("]")) return config;
  do {
    const keyToken = cursor.peek();
    const key = cursor.expectString("as a MAP key");
    if (Object.hasOwn(config, key))
      throw syntaxErrorAt(keyToken, `MAP key '${key}' is given twice`);
    cursor.expectSymbol(",", `between MAP key '${key}' and its value`);
    config[key] = cursor.expectString(`as the value of MAP key '${key}'`);
  } while (cursor.acceptSymbol(","));
  cursor.expectSymbol("]", "to close MAP[...]");
  return config;
}

function parseMlPredict(tokens: readonly Token[], first: number): MlPredictCall {
  const cursor = new TokenCursor(tokens, first + 2);
  skipArgumentName(cursor);
  cursor.expectKeyword("TABLE", "as ML_PREDICT's first argument (TABLE name)");
  const table = cursor.expectQualifiedName("a table name after TABLE");
  cursor.expectSymbol(",", "after the input table");
  skipArgumentName(cursor);
  cursor.expectKeyword("MODEL", "as ML_PREDICT's second argument (MODEL name)");
  const model = cursor.expectQualifiedName("a model name after MODEL");
  cursor.expectSymbol(",", "after the model (ML_PREDICT needs DESCRIPTOR(columns))");
  skipArgumentName(cursor);
  cursor.expectKeyword("DESCRIPTOR", "as ML_PREDICT's third argument (DESCRIPTOR(columns))");
  cursor.expectSymbol("(", "after DESCRIPTOR");
  const columns: string[] = [];
  do columns.push(cursor.expectIdentifier("a column name in DESCRIPTOR(...)"));
  while (cursor.acceptSymbol(","));
  cursor.expectSymbol(")", "to close DESCRIPTOR(...)");
  let config: Record<string, string> = {};
  if (cursor.acceptSymbol(",")) {
    skipArgumentName(cursor);
    config = parseMap(cursor);
  }
  const close = cursor.peek();
  cursor.expectSymbol(")", "to close ML_PREDICT(...)");
  return { kind: "table", first, last: tokens.indexOf(close), table, model, columns, config };
}

function parseMlScore(tokens: readonly Token[], first: number): MlScoreCall {
  const cursor = new TokenCursor(tokens, first + 2);
  cursor.expectKeyword("MODEL", "as ML_SCORE's first argument (MODEL name)");
  const model = cursor.expectQualifiedName("a model name after MODEL");
  const args: { start: number; end: number }[] = [];
  let index = cursor.position;
  for (;;) {
    const token = tokens[index] as Token;
    if (isSymbol(token, ")")) break;
    if (!isSymbol(token, ",")) {
      throw syntaxErrorAt(
        token,
        `expected "," or ")" after ML_SCORE's model, found ${describeToken(token)}`,
      );
    }
    const start = ++index;
    let depth = 0;
    for (;;) {
      const t = tokens[index] as Token;
      if (t.kind === "end") throw syntaxErrorAt(t, "ML_SCORE(...) is never closed");
      if (isSymbol(t, "(") || isSymbol(t, "[")) depth++;
      else if (isSymbol(t, ")") || isSymbol(t, "]")) {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && isSymbol(t, ",")) break;
      index++;
    }
    if (index === start) throw syntaxErrorAt(tokens[index] as Token, "empty ML_SCORE argument");
    args.push({ start, end: index });
  }
  if (args.length === 0) {
    throw syntaxErrorAt(
      tokens[index] as Token,
      "ML_SCORE needs the model's input values after MODEL name",
    );
  }
  return { kind: "scalar", first, last: index, model, args };
}

/** Every ML_PREDICT and ML_SCORE call of a statement, outermost first, in text order. */
export function findModelCalls(tokens: readonly Token[]): ModelCall[] {
  const calls: ModelCall[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (!isSymbol(tokens[i + 1], "(")) continue;
    if (isKeyword(token, "ML_PREDICT")) calls.push(parseMlPredict(tokens, i));
    else if (isKeyword(token, "ML_SCORE")) calls.push(parseMlScore(tokens, i));
    else continue;
    i = (calls[calls.length - 1] as ModelCall).last;
  }
  return calls;
}

const CLAUSE_ENDS = [
  "WHERE",
  "GROUP",
  "HAVING",
  "QUALIFY",
  "WINDOW",
  "ORDER",
  "LIMIT",
  "OFFSET",
  "UNION",
  "EXCEPT",
  "INTERSECT",
];

/**
 * The token range of the FROM clause (after FROM) of the SELECT that contains token `at`:
 * what ML_SCORE pre-computes its values over. Undefined when that SELECT has no FROM.
 */
export function enclosingFromClause(
  tokens: readonly Token[],
  at: number,
): { start: number; end: number } | undefined {
  let depth = 0;
  let select = -1;
  for (let i = at - 1; i >= 0; i--) {
    const token = tokens[i] as Token;
    if (isSymbol(token, ")")) depth++;
    else if (isSymbol(token, "(")) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && isKeyword(token, "SELECT")) {
      select = i;
      break;
    }
  }
  if (select < 0) return undefined;
  depth = 0;
  let from = -1;
  for (let i = select + 1; ; i++) {
    const token = tokens[i] as Token;
    const scopeEnds = token.kind === "end" || (depth === 0 && isSymbol(token, ")"));
    if (scopeEnds || (depth === 0 && from >= 0 && CLAUSE_ENDS.some((w) => isKeyword(token, w)))) {
      return from < 0 ? undefined : { start: from + 1, end: i };
    }
    if (isSymbol(token, "(")) depth++;
    else if (isSymbol(token, ")")) depth--;
    else if (depth === 0 && from < 0 && isKeyword(token, "FROM")) from = i;
  }
}
