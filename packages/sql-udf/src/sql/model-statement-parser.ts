import { SqlError, SqlErrorCode } from "../sql-error.js";
import type { ModelColumn, ModelStatement } from "./model-statement.js";
import { SCALAR_TYPE_SPELLINGS, type SqlType } from "./sql-type.js";
import { syntaxErrorAt, TokenCursor } from "./token-cursor.js";
import { describeToken, isKeyword, type Token } from "./tokenizer.js";

/**
 * Whether a statement is one of the model statements (so this parser, not DuckDB, owns it):
 * CREATE [TEMPORARY] MODEL, DROP [TEMPORARY] MODEL, ALTER MODEL, SHOW MODELS, SHOW CREATE MODEL,
 * DESCRIBE | DESC MODEL.
 */
export function isModelStatement(tokens: readonly Token[]): boolean {
  const [a, b, c] = tokens;
  if (isKeyword(a, "CREATE") || isKeyword(a, "DROP")) {
    return isKeyword(b, "MODEL") || (isKeyword(b, "TEMPORARY") && isKeyword(c, "MODEL"));
  }
  if (isKeyword(a, "ALTER")) return isKeyword(b, "MODEL");
  if (isKeyword(a, "SHOW")) {
    return isKeyword(b, "MODELS") || (isKeyword(b, "CREATE") && isKeyword(c, "MODEL"));
  }
  if (isKeyword(a, "DESCRIBE") || isKeyword(a, "DESC")) return isKeyword(b, "MODEL");
  return false;
}

/** Parses one model statement (tokens as `splitStatements` gives them) as Flink's parser does. */
export function parseModelStatement(tokens: readonly Token[]): ModelStatement {
  const cursor = new TokenCursor(tokens);
  const first = cursor.next();
  let statement: ModelStatement;
  switch (first.value.toUpperCase()) {
    case "CREATE":
      statement = parseCreate(cursor);
      break;
    case "DROP":
      statement = parseDrop(cursor);
      break;
    case "ALTER":
      statement = parseAlter(cursor);
      break;
    case "SHOW":
      statement = parseShow(cursor);
      break;
    default:
      cursor.expectKeyword("MODEL", `after ${first.value.toUpperCase()}`);
      statement = { kind: "describe", name: cursor.expectQualifiedName("a model name") };
  }
  cursor.expectEnd("after the model statement");
  return statement;
}

function parseIfExists(cursor: TokenCursor): boolean {
  if (!cursor.acceptKeyword("IF")) return false;
  cursor.expectKeyword("EXISTS", "after IF");
  return true;
}

function parseCreate(cursor: TokenCursor): ModelStatement {
  const temporary = cursor.acceptKeyword("TEMPORARY");
  cursor.expectKeyword("MODEL", "after CREATE");
  let ifNotExists = false;
  if (cursor.acceptKeyword("IF")) {
    cursor.expectKeyword("NOT", "after IF");
    cursor.expectKeyword("EXISTS", "after IF NOT");
    ifNotExists = true;
  }
  const name = cursor.expectQualifiedName("a model name after CREATE MODEL");
  let inputs: ModelColumn[] = [];
  let outputs: ModelColumn[] = [];
  const inputToken = cursor.peek();
  if (cursor.acceptKeyword("INPUT")) {
    inputs = parseColumns(cursor, "INPUT");
    const outputToken = cursor.peek();
    if (!isKeyword(outputToken, "OUTPUT")) {
      throw syntaxErrorAt(
        outputToken,
        `INPUT (...) must be followed by OUTPUT (...): Flink takes both or neither, found ${describeToken(outputToken)}`,
      );
    }
    cursor.next();
    outputs = parseColumns(cursor, "OUTPUT");
  } else if (isKeyword(inputToken, "OUTPUT")) {
    throw syntaxErrorAt(
      inputToken,
      "OUTPUT (...) without INPUT (...): Flink takes both or neither; add INPUT (...) before OUTPUT",
    );
  }
  let comment: string | undefined;
  if (cursor.acceptKeyword("COMMENT")) comment = cursor.expectString("after COMMENT");
  const withToken = cursor.peek();
  if (isKeyword(withToken, "AS")) {
    throw new SqlError(
      SqlErrorCode.Unsupported,
      `CREATE MODEL ... AS SELECT (line ${withToken.line}, column ${withToken.column}) trains a model, which this engine does not do: ` +
        "serve a trained model from a gpu-sidecar (or any KServe v2 server) and declare it with WITH ('provider' = ...)",
    );
  }
  cursor.expectKeyword(
    "WITH",
    "before the model options: CREATE MODEL needs WITH ('provider' = ...)",
  );
  const options = parseOptionList(cursor, "WITH");
  if (Object.keys(options).length === 0) {
    throw syntaxErrorAt(withToken, "WITH () is empty: a model needs at least 'provider'");
  }
  if (isKeyword(cursor.peek(), "AS")) {
    const as = cursor.peek();
    throw new SqlError(
      SqlErrorCode.Unsupported,
      `CREATE MODEL ... AS SELECT (line ${as.line}, column ${as.column}) trains a model, which this engine does not do: ` +
        "serve a trained model and declare it without AS",
    );
  }
  return {
    kind: "create",
    temporary,
    ifNotExists,
    definition: {
      name,
      inputs,
      outputs,
      ...(comment === undefined ? {} : { comment }),
      options,
    },
  };
}

function parseColumns(cursor: TokenCursor, clause: string): ModelColumn[] {
  cursor.expectSymbol("(", `after ${clause}`);
  const columns: ModelColumn[] = [];
  const seen = new Set<string>();
  do {
    const nameToken = cursor.peek();
    const name = cursor.expectIdentifier(`a column name in ${clause} (...)`);
    if (seen.has(name)) {
      throw syntaxErrorAt(nameToken, `column \`${name}\` appears twice in ${clause} (...)`);
    }
    seen.add(name);
    const type = parseType(cursor);
    let comment: string | undefined;
    if (cursor.acceptKeyword("COMMENT")) comment = cursor.expectString("after COMMENT");
    columns.push({ name, type, ...(comment === undefined ? {} : { comment }) });
  } while (cursor.acceptSymbol(","));
  cursor.expectSymbol(")", `to close ${clause} (...)`);
  return columns;
}

const SUPPORTED_TYPES =
  "BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, STRING (VARCHAR), ARRAY<...> of those";

function parseScalarType(cursor: TokenCursor): Extract<SqlType, { kind: "scalar" }> {
  const token = cursor.peek();
  const spelled = token.kind === "word" ? token.value.toUpperCase() : "";
  const name = SCALAR_TYPE_SPELLINGS[spelled];
  if (name === undefined) {
    throw syntaxErrorAt(
      token,
      `${describeToken(token)} is not a type a model column can have: Flink's KServe mapping takes ${SUPPORTED_TYPES}`,
    );
  }
  cursor.next();
  let text = spelled;
  if (spelled === "DOUBLE" && cursor.acceptKeyword("PRECISION")) text = "DOUBLE PRECISION";
  if (cursor.acceptSymbol("(")) {
    if (name !== "STRING") {
      throw syntaxErrorAt(cursor.peek(), `${spelled} takes no length`);
    }
    const length = cursor.next();
    if (length.kind !== "number") {
      throw syntaxErrorAt(
        length,
        `expected a length in ${spelled}(...), found ${describeToken(length)}`,
      );
    }
    cursor.expectSymbol(")", `to close ${spelled}(${length.value}`);
    text = `${spelled}(${length.value})`;
  }
  if (cursor.acceptKeyword("NOT")) {
    cursor.expectKeyword("NULL", "after NOT");
    text += " NOT NULL";
  }
  return { kind: "scalar", name, text };
}

function parseType(cursor: TokenCursor): SqlType {
  if (!cursor.acceptKeyword("ARRAY")) return parseScalarType(cursor);
  cursor.expectSymbol("<", "after ARRAY");
  const elementToken = cursor.peek();
  if (isKeyword(elementToken, "ARRAY")) {
    throw syntaxErrorAt(
      elementToken,
      "nested ARRAY has no KServe mapping in Flink's provider: use ARRAY<scalar> with a flat row",
    );
  }
  const element = parseScalarType(cursor);
  cursor.expectSymbol(">", "to close ARRAY<...");
  let text = `ARRAY<${element.text}>`;
  if (cursor.acceptKeyword("NOT")) {
    cursor.expectKeyword("NULL", "after NOT");
    text += " NOT NULL";
  }
  return { kind: "array", element, text };
}

/** `( 'k' = 'v' [, ...] )`; an empty list is allowed here, callers decide. */
function parseOptionList(cursor: TokenCursor, clause: string): Record<string, string> {
  cursor.expectSymbol("(", `after ${clause}`);
  const options: Record<string, string> = {};
  if (cursor.acceptSymbol(")")) return options;
  do {
    const keyToken = cursor.peek();
    const key = cursor.expectString(
      `as an option key in ${clause} (...) (keys are quoted: 'provider')`,
    );
    if (Object.hasOwn(options, key)) {
      throw syntaxErrorAt(keyToken, `option '${key}' is given twice`);
    }
    cursor.expectSymbol("=", `after '${key}'`);
    options[key] = cursor.expectString(`as the value of '${key}' (values are quoted: '10')`);
  } while (cursor.acceptSymbol(","));
  cursor.expectSymbol(")", `to close ${clause} (...)`);
  return options;
}

function parseDrop(cursor: TokenCursor): ModelStatement {
  const temporary = cursor.acceptKeyword("TEMPORARY");
  cursor.expectKeyword("MODEL", "after DROP");
  const ifExists = parseIfExists(cursor);
  return { kind: "drop", temporary, ifExists, name: cursor.expectQualifiedName("a model name") };
}

function parseAlter(cursor: TokenCursor): ModelStatement {
  cursor.expectKeyword("MODEL", "after ALTER");
  const ifExists = parseIfExists(cursor);
  const name = cursor.expectQualifiedName("a model name");
  if (cursor.acceptKeyword("RENAME")) {
    cursor.expectKeyword("TO", "after RENAME");
    return { kind: "rename", ifExists, name, newName: cursor.expectQualifiedName("the new name") };
  }
  const setToken = cursor.peek();
  if (cursor.acceptKeyword("SET")) {
    const options = parseOptionList(cursor, "SET");
    if (Object.keys(options).length === 0) {
      throw syntaxErrorAt(setToken, "ALTER MODEL ... SET () is empty: name at least one option");
    }
    return { kind: "set", ifExists, name, options };
  }
  if (cursor.acceptKeyword("RESET")) {
    cursor.expectSymbol("(", "after RESET");
    const keys: string[] = [];
    do keys.push(cursor.expectString("as an option key in RESET (...)"));
    while (cursor.acceptSymbol(","));
    cursor.expectSymbol(")", "to close RESET (...)");
    return { kind: "reset", ifExists, name, keys };
  }
  const token = cursor.peek();
  throw syntaxErrorAt(
    token,
    `expected RENAME TO, SET (...) or RESET (...) after ALTER MODEL ${name}, found ${describeToken(token)}`,
  );
}

function parseShow(cursor: TokenCursor): ModelStatement {
  if (cursor.acceptKeyword("MODELS")) {
    if (cursor.acceptKeyword("LIKE"))
      return { kind: "show-models", like: cursor.expectString("after LIKE") };
    return { kind: "show-models" };
  }
  cursor.expectKeyword("CREATE", "after SHOW");
  cursor.expectKeyword("MODEL", "after SHOW CREATE");
  return { kind: "show-create", name: cursor.expectQualifiedName("a model name") };
}
