/**
 * Checks that look at more than one field, and field checks that need code (URLs, NodeIds).
 * Object-level checks run even when other fields of the same object are invalid (so that every
 * problem is reported at once), so they read their input defensively: it is only partly validated.
 */
import { resolveNodeId } from "node-opcua";
import type { z } from "zod";
import { LIMITS, MONITOR_CONDITIONS, ORDERING_OPS } from "./defaults.ts";
import { describeValue, formatPath } from "./issues.ts";

type Ctx = z.core.$RefinementCtx<unknown>;
type Rec = Record<string, unknown>;

/** Passed as `when` so that an object's checks also run when some of its fields are invalid. */
export const always = (): boolean => true;

const isRecord = (value: unknown): value is Rec =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isInt = (value: unknown): value is number => Number.isInteger(value);

function report(ctx: Ctx, path: PropertyKey[], message: string, input: unknown): void {
  ctx.addIssue({ code: "custom", path, message, input });
}

const URL_SHAPE = "opc.tcp://host:port[/path]";

/** Parses an `opc.tcp://host:port[/path]` URL; returns undefined when it is not one. */
function parseOpcTcpUrl(text: string): URL | undefined {
  if (!/^opc\.tcp:\/\//i.test(text)) return undefined;
  try {
    const url = new URL(text);
    return url.hostname ? url : undefined;
  } catch {
    return undefined;
  }
}

export function checkOpcTcpUrl(text: string, ctx: Ctx): void {
  const url = parseOpcTcpUrl(text);
  if (!url) {
    report(ctx, [], `expected ${URL_SHAPE}, got ${describeValue(text)}`, text);
  } else if (url.username || url.password) {
    // Do not echo the value: it holds credentials.
    report(ctx, [], `credentials in the URL are not supported; expected ${URL_SHAPE}`, text);
  } else if (!url.port) {
    report(ctx, [], `missing port: expected ${URL_SHAPE}, got ${describeValue(text)}`, text);
  }
}

/** A comparable form of an upstream URL: scheme and host lower-cased, no trailing slash. */
export function normalizeUrl(text: string): string {
  const url = parseOpcTcpUrl(text);
  if (!url) return text;
  return `opc.tcp://${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, "")}`;
}

/** The label of a server without a configured name: host:port[/path]. */
export function labelFromUrl(text: string): string {
  return normalizeUrl(text).replace(/^opc\.tcp:\/\//, "");
}

export function checkNodeId(text: string, ctx: Ctx): void {
  const expected = 'expected an OPC UA NodeId such as "ns=2;s=Line1.Temp" or "i=2258"';
  let valid: boolean;
  try {
    valid = !resolveNodeId(text).isEmpty() && text.trim() !== ""; // the null NodeId names nothing
  } catch {
    valid = false;
  }
  if (!valid) report(ctx, [], `${expected}, got ${describeValue(text)}`, text);
}

/** A comparison monitor: `<`, `<=`, `>`, `>=` compare numbers only. */
export function checkComparison(value: unknown, ctx: Ctx): void {
  if (!isRecord(value) || typeof value.op !== "string" || !ORDERING_OPS.has(value.op)) return;
  const operand = value.value;
  if (operand !== undefined && typeof operand !== "number" && !Array.isArray(operand) && !isRecord(operand)) {
    report(ctx, ["value"], `operator "${value.op}" needs a number, got ${describeValue(operand)}`, operand);
  }
}

export function checkMonitor(value: unknown, ctx: Ctx): void {
  if (!isRecord(value)) return;
  const present = MONITOR_CONDITIONS.filter((key) => value[key] !== undefined);
  if (present.length !== 1) {
    const got = present.length === 0 ? "none" : present.join(" and ");
    report(ctx, [], `expected exactly one condition (noChangeMs, value or badQuality), got ${got}`, value);
  }
}

export function checkSubscription(value: unknown, ctx: Ctx): void {
  if (!isRecord(value)) return;
  const follow = value.followDownstream;
  if (isRecord(follow) && isInt(follow.minMs) && isInt(follow.maxMs) && follow.minMs > follow.maxMs) {
    report(
      ctx,
      ["followDownstream", "minMs"],
      `expected at most maxMs (${follow.maxMs}), got ${follow.minMs}`,
      follow.minMs,
    );
  }
  if (!isInt(value.keepAliveCount) || !isInt(value.lifetimeCount)) return;
  const minimum = LIMITS.lifetimeToKeepAlive * value.keepAliveCount;
  if (value.lifetimeCount < minimum) {
    report(
      ctx,
      ["lifetimeCount"],
      `expected at least ${LIMITS.lifetimeToKeepAlive} × keepAliveCount (${minimum}), got ${value.lifetimeCount}`,
      value.lifetimeCount,
    );
  }
}

export function checkReconnect(value: unknown, ctx: Ctx): void {
  if (!isRecord(value) || !isInt(value.initialDelayMs) || !isInt(value.maxDelayMs)) return;
  if (value.initialDelayMs > value.maxDelayMs) {
    report(
      ctx,
      ["initialDelayMs"],
      `expected at most maxDelayMs (${value.maxDelayMs}), got ${value.initialDelayMs}`,
      value.initialDelayMs,
    );
  }
}

/** Reports every entry whose key repeats an earlier entry's key; returns the indices of those entries. */
function reportDuplicates(
  ctx: Ctx,
  entries: { key: string | number | undefined; path: PropertyKey[]; shown: unknown }[],
  what: string,
): Set<number> {
  const first = new Map<string | number, PropertyKey[]>();
  const repeated = new Set<number>();
  entries.forEach((entry, index) => {
    if (entry.key === undefined) return;
    const earlier = first.get(entry.key);
    if (earlier) {
      const message = `duplicate ${what} ${describeValue(entry.shown)} (also at ${formatPath(earlier)})`;
      report(ctx, entry.path, message, entry.shown);
      repeated.add(index);
    } else {
      first.set(entry.key, entry.path);
    }
  });
  return repeated;
}

const records = (value: unknown): [Rec, number][] =>
  Array.isArray(value) ? value.flatMap((v, i): [Rec, number][] => (isRecord(v) ? [[v, i]] : [])) : [];

export function checkPair(pair: unknown, ctx: Ctx): void {
  if (!isRecord(pair)) return;
  const servers = records(pair.servers);
  const urls = servers.map(([s, i]) => ({
    key: typeof s.url === "string" ? normalizeUrl(s.url) : undefined,
    path: ["servers", i, "url"],
    shown: s.url,
  }));
  const repeatedUrls = reportDuplicates(ctx, urls, "URL");
  // A repeated URL also repeats its derived name: report it once, as a URL.
  reportDuplicates(
    ctx,
    servers.map(([s, i], n) => ({
      key: typeof s.name === "string" && !repeatedUrls.has(n) ? s.name : undefined,
      path: ["servers", i, "name"],
      shown: s.name,
    })),
    "server name",
  );
  const monitors = Array.isArray(pair.monitors) ? pair.monitors.length : 0;
  if (monitors > 0 && isInt(pair.failureCount) && pair.failureCount > monitors) {
    const message = `expected at most ${monitors} (the number of monitors), got ${pair.failureCount}`;
    report(ctx, ["failureCount"], message, pair.failureCount);
  }
  const statusTimeout = isRecord(pair.statusQuery) ? pair.statusQuery.timeoutMs : undefined;
  const sessionTimeout = isRecord(pair.session) ? pair.session.timeoutMs : undefined;
  if (isInt(statusTimeout) && isInt(sessionTimeout) && statusTimeout >= sessionTimeout) {
    const message = `expected less than session.timeoutMs (${sessionTimeout}), got ${statusTimeout}`;
    report(ctx, ["statusQuery", "timeoutMs"], message, statusTimeout);
  }
}

export function checkGateway(config: unknown, ctx: Ctx): void {
  if (!isRecord(config)) return;
  const pairs = records(config.pairs);
  reportDuplicates(
    ctx,
    pairs.map(([p, i]) => ({
      key: typeof p.name === "string" ? p.name : undefined,
      path: ["pairs", i, "name"],
      shown: p.name,
    })),
    "pair name",
  );
  const ports = pairs.map(([p, i]) => {
    const port = isRecord(p.listen) && isInt(p.listen.port) ? p.listen.port : undefined;
    return { key: port, path: ["pairs", i, "listen", "port"], shown: port };
  });
  for (const [p, i] of pairs) {
    if (p.listen === undefined) {
      const message =
        "required in a gateway configuration: the port of the pair's endpoint, e.g. { port: 4841 }";
      report(ctx, ["pairs", i, "listen"], message, undefined);
    }
  }
  reportDuplicates(ctx, ports, "port");
  const httpPort = isRecord(config.http) && isInt(config.http.port) ? config.http.port : undefined;
  const clash = ports.find((entry) => entry.key !== undefined && entry.key === httpPort);
  if (clash) {
    report(ctx, ["http", "port"], `port ${httpPort} is already used by ${formatPath(clash.path)}`, httpPort);
  }
}
