/**
 * Turns zod issues into operator-readable configuration problems: a dotted path
 * ("pairs[0].statusQuery.intervalMs") and a message that names the wrong value and what is
 * expected. Values are echoed only when they are primitives (never whole objects), and never under
 * keys that may hold secrets.
 */
import type { z } from "zod";

export interface ConfigIssue {
  /** Where the problem is, e.g. "pairs[0].statusQuery.intervalMs"; "" for the document itself. */
  path: string;
  message: string;
}

type RawIssue = z.core.$ZodRawIssue;

/** Keys under which values are never echoed (notifications will hold SMTP credentials). */
const SECRET_PATH = /^(notifications|password|passphrase|secret|token|privateKey|credentials?)$/i;
const MAX_ECHO = 60;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function isSecretPath(path: readonly PropertyKey[] | undefined): boolean {
  return (path ?? []).some((key) => typeof key === "string" && SECRET_PATH.test(key));
}

/** Describes a value for a message: primitives verbatim (strings quoted, long ones cut), others by kind. */
export function describeValue(value: unknown, path?: readonly PropertyKey[]): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (isSecretPath(path)) return `a ${typeof value}`;
  if (typeof value === "string") {
    const cut = value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}…` : value;
    return JSON.stringify(cut);
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  return `a ${typeof value}`;
}

const KIND_NAMES: Record<string, string> = {
  number: "a number",
  string: "a string",
  boolean: "true or false",
  object: "an object",
  array: "a list",
};

function expectedKind(expected: string): string {
  return KIND_NAMES[expected] ?? expected;
}

function bound(issue: { origin: string; inclusive?: boolean }, value: number | bigint, big: boolean): string {
  const n = Number(value);
  if (issue.origin === "string")
    return big ? `at most ${n} characters` : `at least ${n} character${n === 1 ? "" : "s"}`;
  if (issue.origin === "array")
    return big ? `at most ${n} entries` : `at least ${n} entr${n === 1 ? "y" : "ies"}`;
  const op = big ? (issue.inclusive === false ? "<" : "<=") : issue.inclusive === false ? ">" : ">=";
  return `a number ${op} ${n}`;
}

function sizeOf(input: unknown): string {
  if (typeof input === "string") return `${input.length} characters`;
  if (Array.isArray(input)) return `${input.length} entr${input.length === 1 ? "y" : "ies"}`;
  return describeValue(input);
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      const cost = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + cost);
      previous = current;
    }
  }
  return row[b.length]!;
}

function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = levenshtein(key, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3))) {
    return ` (did you mean '${best}'?)`;
  }
  return known.length > 0 ? ` (expected one of: ${known.join(", ")})` : "";
}

function knownKeys(issue: RawIssue): string[] {
  const def = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def;
  return def?.shape ? Object.keys(def.shape) : [];
}

/**
 * The per-parse zod error map. Schema-specific messages (refinements, `error` params) take
 * precedence over it. For unknown keys it returns one line per key; `toConfigIssues` splits them.
 */
export function configErrorMap(issue: RawIssue): string | undefined {
  const got = describeValue(issue.input, issue.path);
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return `required: expected ${expectedKind(issue.expected)}`;
      return `expected ${expectedKind(issue.expected)}, got ${got}`;
    case "too_small":
      return `expected ${bound(issue, issue.minimum, false)}, got ${issue.origin === "string" || issue.origin === "array" ? sizeOf(issue.input) : got}`;
    case "too_big":
      return `expected ${bound(issue, issue.maximum, true)}, got ${issue.origin === "string" || issue.origin === "array" ? sizeOf(issue.input) : got}`;
    case "invalid_value": {
      const values = issue.values.map((v) => (typeof v === "string" ? v : String(v)));
      return values.length === 1
        ? `expected ${values[0]}, got ${got}`
        : `expected one of ${values.join(", ")}, got ${got}`;
    }
    case "unrecognized_keys": {
      const known = knownKeys(issue);
      return issue.keys.map((key) => `unknown key '${key}'${suggestion(key, known)}`).join("\n");
    }
    case "invalid_format":
      return `invalid format, got ${got}`;
    case "not_multiple_of":
      return `expected a multiple of ${issue.divisor}, got ${got}`;
    default:
      return `invalid value, got ${got}`;
  }
}

/** Converts finalized zod issues into configuration issues, one per problem, in document order of the schema. */
export function toConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const seen = new Set<string>();
  const push = (path: readonly PropertyKey[], message: string): void => {
    const issue = { path: formatPath([...prefix, ...path]), message };
    const id = `${issue.path}\u0000${issue.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      out.push(issue);
    }
  };
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const lines = issue.message.split("\n");
      issue.keys.forEach((key, i) => {
        push([...issue.path, key], lines[i] ?? `unknown key '${key}'`);
      });
    } else {
      push(issue.path, issue.message);
    }
  }
  return out;
}
