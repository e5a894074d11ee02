import { isSymbol, tokenize } from "../sql/tokenizer.js";

/**
 * Whether typed text is a complete script: it ends with a semicolon outside strings and
 * comments. An unclosed string or comment is incomplete, not an error, at the prompt.
 */
export function isCompleteInput(text: string): boolean {
  let tokens: ReturnType<typeof tokenize>;
  try {
    tokens = tokenize(text);
  } catch {
    return false;
  }
  const last = tokens[tokens.length - 2];
  return last !== undefined && isSymbol(last, ";");
}
