import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseDocument } from "yaml";
import { ErrorCode } from "../sidecar-error.js";
import { ConfigError } from "./config-error.js";

function isJson(path: string, text: string): boolean {
  const extension = extname(path).toLowerCase();
  if (extension === ".json") return true;
  if (extension === ".yaml" || extension === ".yml") return false;
  return text.trimStart().startsWith("{");
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      [{ source: path, path: "", received: undefined, message: `not valid JSON: ${message}` }],
      ErrorCode.InvalidArgument,
      { cause: error },
    );
  }
}

function parseYaml(path: string, text: string): unknown {
  // uniqueKeys: a key given twice is almost always an edit mistake, never an override.
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => ({
        source: path,
        path: "",
        received: undefined,
        message: `not valid YAML: ${error.message}`,
      })),
    );
  }
  // A document of comments only has no contents: no settings, like an empty file.
  return document.contents === null ? {} : document.toJS();
}

/**
 * Reads a JSON or YAML config file, chosen by extension (`.json`, `.yaml`, `.yml`) or else by
 * content. An empty file is an empty config. Resolves to `undefined` when the file is missing
 * and `optional` is set; otherwise a missing file is a NOT_FOUND ConfigError.
 */
export async function readConfigFile(
  path: string,
  options: { readonly optional?: boolean } = {},
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && options.optional === true) return undefined;
    throw new ConfigError(
      [
        {
          source: path,
          path: "",
          received: undefined,
          message: `cannot read the config file (${code ?? String(error)})`,
        },
      ],
      code === "ENOENT" ? ErrorCode.NotFound : ErrorCode.InvalidArgument,
      { cause: error },
    );
  }
  const content = text.replace(/^\uFEFF/, "");
  if (content.trim() === "") return {};
  return isJson(path, content) ? parseJson(path, content) : parseYaml(path, content);
}
