/**
 * Loading and validating configuration: YAML (JSON is YAML too) → schema → defaults → deep-frozen
 * object. Every problem is reported at once, each with its path, in a `ConfigError`.
 */
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { type ErrorCode, RedundancyError } from "../errors.ts";
import { type ConfigIssue, configErrorMap, toConfigIssues } from "./issues.ts";
import { type GatewayConfig, gatewayConfigSchema, type PairConfig, pairConfigSchema } from "./schema.ts";

export type { ConfigIssue };

function formatIssueLine(source: string, issue: ConfigIssue): string {
  return issue.path ? `${source}: ${issue.path}: ${issue.message}` : `${source}: ${issue.message}`;
}

/**
 * An invalid (code `ERR_CONFIG_INVALID`) or unreadable (`ERR_CONFIG_UNREADABLE`) configuration.
 * The message lists every issue on its own line, prefixed by the source (file name).
 */
export class ConfigError extends RedundancyError {
  readonly issues: readonly ConfigIssue[];
  /** Where the configuration came from: a file path, or a label such as "pair configuration". */
  readonly source: string;

  constructor(
    source: string,
    issues: readonly ConfigIssue[],
    options: {
      code?: Extract<ErrorCode, "ERR_CONFIG_INVALID" | "ERR_CONFIG_UNREADABLE">;
      cause?: unknown;
    } = {},
  ) {
    super(
      options.code ?? "ERR_CONFIG_INVALID",
      issues.map((issue) => formatIssueLine(source, issue)).join("\n"),
      {
        cause: options.cause,
      },
    );
    this.name = "ConfigError";
    this.source = source;
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
  }
}

/** Freezes a plain-data value and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function validate<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input, { error: configErrorMap });
  if (!result.success) throw new ConfigError(source, toConfigIssues(result.error.issues));
  return deepFreeze(result.data);
}

/**
 * Validates the configuration of one pair (library use), applies the defaults and deep-freezes it.
 * @throws ConfigError with every problem found.
 */
export function parsePairConfig(input: unknown, source = "pair configuration"): PairConfig {
  return validate(pairConfigSchema, input, source);
}

/**
 * Validates a whole gateway configuration (an already parsed object), applies the defaults and
 * deep-freezes it.
 * @throws ConfigError with every problem found.
 */
export function parseGatewayConfig(input: unknown, source = "configuration"): GatewayConfig {
  if (input === null || input === undefined) {
    throw new ConfigError(source, [
      { path: "", message: "the configuration is empty; expected at least 'pairs'" },
    ]);
  }
  return validate(gatewayConfigSchema, input, source);
}

/**
 * Parses configuration text (YAML 1.2; JSON is accepted since it is YAML) and validates it.
 * Syntax errors are reported with their line and column.
 * @throws ConfigError with every problem found.
 */
export function parseConfigText(text: string, source: string): GatewayConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      const message = error.message.split("\n")[0]!.replace(/\s+at line \d+, column \d+:?$/, "");
      return { path: "", message: `YAML syntax error at line ${line}:${col}: ${message}` };
    });
    throw new ConfigError(source, issues);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigError(source, [{ path: "", message: `cannot read YAML: ${message}` }], { cause: error });
  }
  return parseGatewayConfig(data, source);
}

/**
 * Reads, parses and validates a configuration file.
 * @throws ConfigError: `ERR_CONFIG_UNREADABLE` when the file cannot be read, else `ERR_CONFIG_INVALID`.
 */
export async function loadConfigFile(path: string): Promise<GatewayConfig> {
  const source = path;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new ConfigError(
      source,
      [{ path: "", message: `cannot read the file: ${describeReadError(reason)}` }],
      {
        code: "ERR_CONFIG_UNREADABLE",
        cause: error,
      },
    );
  }
  return parseConfigText(text, source);
}

function describeReadError(code: string): string {
  switch (code) {
    case "ENOENT":
      return "no such file (ENOENT)";
    case "EACCES":
    case "EPERM":
      return `permission denied (${code})`;
    case "EISDIR":
      return "is a directory (EISDIR)";
    default:
      return code;
  }
}
