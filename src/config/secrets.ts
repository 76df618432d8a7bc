/**
 * Inline secrets of a configuration file (an SMTP `auth.pass`, the HTTP API's `auth.token`) as
 * the configuration page sees them: never sent to the browser. The page gets a placeholder in
 * their place; a value that comes back with the placeholder keeps the file's secret at the same
 * path, a value typed anew replaces it. Secrets from `passFile`/`passEnv`/`tokenFile`/`tokenEnv`
 * are names, not secrets, and pass as they are.
 */
import { isScalar, parseDocument, visit } from "yaml";

/** What the page shows (and sends back) in place of a secret kept in the file. */
export const KEPT_SECRET = "(secret kept in the file)";

/** Keys whose string values are secrets wherever they appear. */
const SECRET_KEYS = new Set(["pass", "token", "password", "passphrase", "secret"]);

type Path = (string | number)[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deep copy of a parsed configuration with every inline secret replaced by KEPT_SECRET. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      SECRET_KEYS.has(key) && typeof v === "string" ? KEPT_SECRET : redactSecrets(v),
    ]),
  );
}

/** The YAML text with every inline secret replaced by KEPT_SECRET (comments kept). */
export function redactYamlSecrets(text: string): string {
  const document = parseDocument(text);
  visit(document, {
    Pair(_, pair) {
      if (isScalar(pair.key) && SECRET_KEYS.has(String(pair.key.value)) && isScalar(pair.value)) {
        if (typeof pair.value.value === "string") pair.value.value = KEPT_SECRET;
      }
    },
  });
  return document.toString();
}

function at(value: unknown, path: Path): unknown {
  let current = value;
  for (const key of path) {
    if (Array.isArray(current) && typeof key === "number") current = current[key];
    else if (isRecord(current) && typeof key === "string") current = current[key];
    else return undefined;
  }
  return current;
}

function describePath(path: Path): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`)).join("");
}

/**
 * `edited` (from the page) with each KEPT_SECRET replaced by the secret at the same path of the
 * file's value; a placeholder whose path holds no secret in the file is an issue (the operator
 * must type it), reported with its path like every other configuration problem.
 */
export function withFileSecrets(
  edited: unknown,
  fileValue: unknown,
): { value: unknown; issues: { path: string; message: string }[] } {
  const issues: { path: string; message: string }[] = [];
  const walk = (node: unknown, path: Path): unknown => {
    if (Array.isArray(node)) return node.map((v, i) => walk(v, [...path, i]));
    if (!isRecord(node)) return node;
    const copy: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(node)) {
      const here = [...path, key];
      if (SECRET_KEYS.has(key) && v === KEPT_SECRET) {
        const kept = at(fileValue, here);
        if (typeof kept === "string" && kept !== KEPT_SECRET) copy[key] = kept;
        else {
          issues.push({
            path: describePath(here),
            message: "the file holds no secret at this path any more: type it again",
          });
          copy[key] = v;
        }
      } else copy[key] = walk(v, here);
    }
    return copy;
  };
  return { value: walk(edited, []), issues };
}
