/**
 * The configuration page's API (`/api/config…`, operator only, see config-auth.ts): read the
 * configuration, validate a changed one (every problem with its path, as check-config reports
 * it), discover and test servers, browse the active upstream for monitor items, run the pair
 * check, send a test e-mail, and save — the YAML rewritten with its comments kept (yaml-update.ts),
 * the previous file kept as `<file>.bak`, then applied by the gateway's reload. Every save is a
 * diagnostics event naming who made it.
 */
import { copyFile, readFile, rename, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse } from "yaml";
import { ConfigError, parseGatewayConfig } from "../config/load.ts";
import type { GatewayConfig } from "../config/schema.ts";
import { redactSecrets, redactYamlSecrets, withFileSecrets } from "../config/secrets.ts";
import { type Plain, rewriteYaml } from "../config/yaml-update.ts";
import type { EventInput } from "../diagnostics/event.ts";
import { discoverServer } from "../discovery/discover.ts";
import type { ToolSessionOptions } from "../discovery/session.ts";
import { RedundancyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { Notifier } from "../notify/notifier.ts";
import { checkPair } from "../pair-check/check-pair.ts";
import { describeDifferences } from "../pair-check/compare.ts";
import { upstreamUserIdentity } from "../upstream/security-options.ts";
import type { GatewayPairStatus, ReloadReport } from "./api.ts";
import { sendJson } from "./api.ts";
import { authenticateOperator } from "./config-auth.ts";
import { browseChildren, searchVariables } from "./config-browse.ts";

export interface ConfigApiContext {
  /** The configuration file (null: the gateway was not started from a file; saving is refused). */
  file: string | null;
  token: string | null;
  /** The running configuration (its users authenticate operators). */
  current(): GatewayConfig;
  pairs(): GatewayPairStatus[];
  reload(): Promise<ReloadReport>;
  record(event: EventInput): void;
  /** The gateway's client PKI folder. */
  pkiFolder: string;
  logger: Logger;
}

const MAX_BODY_BYTES = 1024 * 1024;

async function body(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new RedundancyError("ERR_INVALID_ARGUMENT", `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // below
  }
  throw new RedundancyError("ERR_INVALID_ARGUMENT", "expected a JSON object");
}

type Issue = { path: string; message: string };

function validate(value: unknown, file: string): { config: GatewayConfig | null; issues: Issue[] } {
  try {
    return { config: parseGatewayConfig(value, file), issues: [] };
  } catch (error) {
    if (error instanceof ConfigError) return { config: null, issues: [...error.issues] };
    throw error;
  }
}

/**
 * A value from the page, its kept-secret placeholders replaced by the file's secrets (the page
 * never sees them: config/secrets.ts), validated.
 */
async function validateEdited(
  ctx: ConfigApiContext,
  edited: unknown,
): Promise<{ config: GatewayConfig | null; value: unknown; issues: Issue[] }> {
  const fileValue = ctx.file ? parse(await readFile(ctx.file, "utf8")) : undefined;
  const { value, issues: secretIssues } = withFileSecrets(edited, fileValue);
  const { config, issues } = validate(value, ctx.file ?? "configuration");
  const all = [...secretIssues, ...issues];
  return { config: all.length === 0 ? config : null, value, issues: all };
}

function url(text: unknown): string {
  if (typeof text !== "string" || !text.startsWith("opc.tcp://"))
    throw new RedundancyError("ERR_INVALID_ARGUMENT", "expected an opc.tcp:// URL");
  return text;
}

/** How the gateway's link reaches server `url` of `pair` (its configured security and user). */
async function linkOptions(
  ctx: ConfigApiContext,
  pairName: string | undefined,
  serverUrl: string,
): Promise<ToolSessionOptions> {
  const pair = ctx.current().pairs.find((p) => p.name === pairName);
  const server = pair?.servers.find((s) => s.url === serverUrl);
  const identity = server ? await upstreamUserIdentity(server.user) : undefined;
  return {
    pkiFolder: ctx.pkiFolder,
    ...(server
      ? { security: { policy: server.security?.policy ?? "None", mode: server.security?.mode ?? "None" } }
      : {}),
    ...(identity ? { identity } : {}),
  };
}

function activeUrl(ctx: ConfigApiContext, pair: string | null): string {
  const status = ctx.pairs().find((p) => p.name === pair);
  if (!status) throw new RedundancyError("ERR_UNKNOWN_PAIR", `no running pair named ${pair}`);
  if (!status.active) throw new RedundancyError("ERR_NO_ACTIVE_SERVER", `pair ${pair} has no active server`);
  return status.active;
}

async function save(
  ctx: ConfigApiContext,
  who: string,
  edited: unknown,
  response: ServerResponse,
): Promise<void> {
  const file = ctx.file;
  if (!file) throw new RedundancyError("ERR_RELOAD", "the gateway was not started from a configuration file");
  const { config, value: withSecrets, issues } = await validateEdited(ctx, edited);
  if (!config) {
    sendJson(response, 422, { ok: false, issues });
    return;
  }
  const source = await readFile(file, "utf8");
  const text = rewriteYaml(source, withSecrets as Plain);
  const backup = `${file}.bak`;
  await copyFile(file, backup);
  await writeFile(`${file}.tmp`, text, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  const report = await ctx.reload();
  ctx.logger.info({ who, backup, ...report }, "configuration saved from the status page");
  ctx.record({
    kind: "config",
    pair: null,
    server: null,
    message: `configuration saved by ${who} from the status page: added [${report.added.join(", ")}], removed [${report.removed.join(", ")}], reconfigured [${report.reconfigured.join(", ")}]`,
    details: { who, backup, ...report },
  });
  sendJson(response, 200, { ok: true, backup, report });
}

/** Handles `/api/config…`; returns false for any other path. */
export async function handleConfigApi(
  request: IncomingMessage,
  response: ServerResponse,
  requestUrl: URL,
  ctx: ConfigApiContext,
): Promise<boolean> {
  const path = requestUrl.pathname;
  if (path !== "/api/config" && !path.startsWith("/api/config/")) return false;
  const auth = await authenticateOperator(request, ctx.token, ctx.current());
  if (auth.outcome === "unauthenticated") {
    sendJson(response, 401, { error: "authentication required (an operator)", code: "ERR_UNAUTHORIZED" });
    return true;
  }
  if (auth.outcome === "forbidden") {
    sendJson(response, 403, {
      error: `${auth.who} may not change the configuration (role read)`,
      code: "ERR_FORBIDDEN",
    });
    return true;
  }
  const who = auth.who;
  const post = request.method === "POST";
  try {
    if (path === "/api/config" && request.method === "GET") {
      if (!ctx.file)
        throw new RedundancyError("ERR_RELOAD", "the gateway was not started from a configuration file");
      const yaml = await readFile(ctx.file, "utf8");
      // inline secrets stay on the server (config/secrets.ts)
      sendJson(response, 200, {
        file: ctx.file,
        yaml: redactYamlSecrets(yaml),
        value: redactSecrets(parse(yaml)),
      });
    } else if (path === "/api/config" && post) await save(ctx, who, (await body(request)).value, response);
    else if (path === "/api/config/validate" && post) {
      const { issues } = await validateEdited(ctx, (await body(request)).value);
      sendJson(response, 200, { ok: issues.length === 0, issues });
    } else if (path === "/api/config/discover" && post) {
      const b = await body(request);
      const target = url(b.url);
      const options = await linkOptions(ctx, typeof b.pair === "string" ? b.pair : undefined, target);
      sendJson(response, 200, await discoverServer(target, { pkiFolder: options.pkiFolder }));
    } else if (path === "/api/config/check-pair" && post) {
      const b = await body(request);
      const urls = Array.isArray(b.urls) ? b.urls.map(url) : [];
      const pair = typeof b.pair === "string" ? b.pair : undefined;
      const result = await checkPair(urls, (i) => linkOptions(ctx, pair, urls[i]!));
      sendJson(response, 200, { ...result, lines: describeDifferences(result) });
    } else if (path === "/api/config/browse" && request.method === "GET") {
      const pair = requestUrl.searchParams.get("pair");
      const target = activeUrl(ctx, pair);
      const nodeId = requestUrl.searchParams.get("nodeId") || "ns=0;i=85";
      const q = requestUrl.searchParams.get("q");
      const options = await linkOptions(ctx, pair ?? undefined, target);
      const nodes = q
        ? await searchVariables(target, q, options)
        : await browseChildren(target, nodeId, options);
      sendJson(response, 200, { server: target, nodes });
    } else if (path === "/api/config/test-email" && post) {
      const value = (await body(request)).value;
      const { config, issues } =
        value === undefined
          ? validate(parse(await readFile(ctx.file ?? "", "utf8")), ctx.file ?? "configuration")
          : await validateEdited(ctx, value);
      if (!config?.notifications) {
        sendJson(response, 422, { ok: false, issues, error: "no valid notifications section" });
        return true;
      }
      const notifier = new Notifier(config.notifications, { record: () => undefined });
      try {
        const result = await notifier.sendTest();
        ctx.record({
          kind: "mail",
          pair: null,
          server: result.acceptedBy,
          message: `test e-mail requested by ${who} from the status page: ${result.acceptedBy ? `sent through ${result.acceptedBy}` : "no SMTP server accepted it"}`,
          details: { who },
        });
        sendJson(response, 200, { ok: result.acceptedBy !== null, ...result });
      } finally {
        await notifier.close();
      }
    } else {
      sendJson(response, 404, { error: `no route ${request.method} ${path}`, code: "ERR_NOT_FOUND" });
    }
  } catch (error) {
    if (!(error instanceof RedundancyError)) throw error;
    const status =
      error.code === "ERR_INVALID_ARGUMENT" ? 400 : error.code === "ERR_UNKNOWN_PAIR" ? 404 : 502;
    sendJson(response, status, { error: error.message, code: error.code });
  }
  return true;
}
