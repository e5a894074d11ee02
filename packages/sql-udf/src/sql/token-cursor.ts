import { SqlError, SqlErrorCode } from "../sql-error.js";
import { describeToken, isKeyword, isSymbol, type Token } from "./tokenizer.js";

/** A syntax error at `token`, with its line and column. */
export function syntaxErrorAt(token: Token, message: string): SqlError {
  const { line, column } = token;
  return new SqlError(
    SqlErrorCode.SyntaxError,
    `syntax error at line ${line}, column ${column}: ${message}`,
    { position: { line, column } },
  );
}

/** Reads a statement's tokens left to right for a recursive-descent parser. */
export class TokenCursor {
  private index: number;

  constructor(
    private readonly tokens: readonly Token[],
    start = 0,
  ) {
    this.index = start;
  }

  get position(): number {
    return this.index;
  }

  peek(ahead = 0): Token {
    return (
      (this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)] as Token) ?? this.end()
    );
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.index++;
    return token;
  }

  private end(): Token {
    return this.tokens[this.tokens.length - 1] as Token;
  }

  acceptKeyword(keyword: string): boolean {
    if (!isKeyword(this.peek(), keyword)) return false;
    this.index++;
    return true;
  }

  acceptSymbol(symbol: string): boolean {
    if (!isSymbol(this.peek(), symbol)) return false;
    this.index++;
    return true;
  }

  expectKeyword(keyword: string, context: string): Token {
    const token = this.peek();
    if (!isKeyword(token, keyword)) {
      throw syntaxErrorAt(token, `expected ${keyword} ${context}, found ${describeToken(token)}`);
    }
    return this.next();
  }

  expectSymbol(symbol: string, context: string): Token {
    const token = this.peek();
    if (!isSymbol(token, symbol)) {
      throw syntaxErrorAt(token, `expected "${symbol}" ${context}, found ${describeToken(token)}`);
    }
    return this.next();
  }

  expectString(context: string): string {
    const token = this.peek();
    if (token.kind !== "string") {
      throw syntaxErrorAt(
        token,
        `expected a 'string literal' ${context}, found ${describeToken(token)}`,
      );
    }
    return this.next().value;
  }

  /** One identifier part: a bare word or a quoted name. */
  expectIdentifier(context: string): string {
    const token = this.peek();
    if (token.kind !== "word" && token.kind !== "quoted") {
      throw syntaxErrorAt(token, `expected ${context}, found ${describeToken(token)}`);
    }
    return this.next().value;
  }

  /** `[catalog.][db.]name`, parts joined with dots. */
  expectQualifiedName(context: string): string {
    const parts = [this.expectIdentifier(context)];
    while (this.acceptSymbol(".")) parts.push(this.expectIdentifier(context));
    return parts.join(".");
  }

  expectEnd(context: string): void {
    const token = this.peek();
    if (token.kind !== "end") {
      throw syntaxErrorAt(token, `unexpected ${describeToken(token)} ${context}`);
    }
  }
}
