/**
 * The `redundantSet:` section (issue 19): several gateway instances that share no state and serve
 * the same pairs form, per pair endpoint, a non-transparent redundant server set (OPC UA Part 4
 * §6.6.2.4.5.2). Each instance is told the whole set: the peers in preference order (the first is
 * the primary instance), each with the ApplicationUri base of its pair servers, where its pair
 * endpoints are, and (optionally) which pairs it serves and where its status API answers — the same
 * file can then be used on every instance (`start --instance NAME`), and `status --config FILE`
 * asks every instance of the fleet.
 */
import { z } from "zod";
import { checkOpcTcpUrl } from "./checks.ts";
import { describeValue, formatPath } from "./issues.ts";

type Ctx = z.core.$RefinementCtx<unknown>;
type Rec = Record<string, unknown>;

const nameShape = /^[A-Za-z0-9_.-]{1,64}$/;
const nameSchema = z.string().regex(nameShape, {
  error: (issue) => `expected 1 to 64 characters of A-Z a-z 0-9 _ . -, got ${describeValue(issue.input)}`,
});

function checkHttpUrl(text: string, ctx: Ctx): void {
  let ok = false;
  try {
    const url = new URL(text);
    ok = (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    if (ok && (url.username || url.password)) {
      ctx.addIssue({ code: "custom", message: "credentials in the URL are not supported", input: text });
      return;
    }
  } catch {
    ok = false;
  }
  if (!ok)
    ctx.addIssue({
      code: "custom",
      message: `expected http(s)://host:port, got ${describeValue(text)}`,
      input: text,
    });
}

export const peerSchema = z.strictObject({
  /** The instance's name (`start --instance NAME`, status output). */
  name: nameSchema,
  /** Base of the ApplicationUri of the instance's pair servers: pair P is `<applicationUri>:<P>`. */
  applicationUri: z.string().min(1),
  /** Host name of the instance's pair endpoints: opc.tcp://<host>:<pairs[].listen.port>. */
  host: z.string().min(1).optional(),
  /** Per pair, the endpoint URL (when the port or host differs from `host` + listen.port). */
  endpoints: z.record(z.string(), z.string().superRefine(checkOpcTcpUrl)).default({}),
  /** The instance's status API (http.port of its configuration), for `status --config`. */
  statusUrl: z.string().superRefine(checkHttpUrl).optional(),
  /** Sharding: the pairs this instance serves (default: every pair). */
  pairs: z.array(nameSchema).min(1).optional(),
});

export const redundantSetSchema = z.strictObject({
  /**
   * RedundancySupport of the set. Hot only: every instance runs every pair it serves hot against
   * the upstream servers, independently (Part 4 §6.6.2.4.5.2 "Hot").
   */
  support: z.literal("hot", { error: (i) => `expected "hot", got ${describeValue(i.input)}` }).default("hot"),
  /** This instance's name among the peers (`start --instance NAME` overrides it). */
  self: nameSchema.optional(),
  /** Preference order: the first is the primary instance. */
  peers: z.array(peerSchema).min(1),
});

export type PeerConfig = z.output<typeof peerSchema>;
export type RedundantSetConfig = z.output<typeof redundantSetSchema>;

const isRecord = (value: unknown): value is Rec =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function report(ctx: Ctx, path: PropertyKey[], message: string, input: unknown): void {
  ctx.addIssue({ code: "custom", path, message, input });
}

/**
 * Cross-checks of `redundantSet` against `pairs` (run on the whole gateway configuration): unique
 * peer names and URIs, `self` and `pairs` naming what exists, an endpoint for every pair a peer
 * serves, and no pair that no instance serves.
 */
export function checkRedundantSet(config: unknown, ctx: Ctx): void {
  if (!isRecord(config) || !isRecord(config.redundantSet)) return;
  const set = config.redundantSet;
  const peers = Array.isArray(set.peers) ? set.peers : [];
  const pairs = (Array.isArray(config.pairs) ? config.pairs : []).filter(isRecord);
  const pairNames = pairs.map((p) => p.name).filter((n): n is string => typeof n === "string");
  const portOf = (name: string) => {
    const listen = pairs.find((p) => p.name === name)?.listen;
    return isRecord(listen) && Number.isInteger(listen.port) ? listen.port : undefined;
  };
  const base = ["redundantSet", "peers"];
  const seen = { name: new Map<unknown, number>(), applicationUri: new Map<unknown, number>() };
  const served = new Set<string>();
  peers.forEach((peer, i) => {
    if (!isRecord(peer)) return;
    for (const key of ["name", "applicationUri"] as const) {
      const value = peer[key];
      if (typeof value !== "string") continue;
      const earlier = seen[key].get(value);
      if (earlier !== undefined)
        report(
          ctx,
          [...base, i, key],
          `duplicate ${key} ${describeValue(value)} (also at ${formatPath([...base, earlier, key])})`,
          value,
        );
      else seen[key].set(value, i);
    }
    const own = Array.isArray(peer.pairs) ? peer.pairs : pairNames;
    (Array.isArray(peer.pairs) ? peer.pairs : []).forEach((name, j) => {
      if (typeof name === "string" && !pairNames.includes(name))
        report(ctx, [...base, i, "pairs", j], `no pair named ${describeValue(name)} in pairs`, name);
    });
    const endpoints = isRecord(peer.endpoints) ? peer.endpoints : {};
    for (const name of Object.keys(endpoints))
      if (!pairNames.includes(name))
        report(ctx, [...base, i, "endpoints", name], `no pair named ${describeValue(name)} in pairs`, name);
    for (const name of own) {
      if (typeof name !== "string" || !pairNames.includes(name)) continue;
      served.add(name);
      if (endpoints[name] === undefined && (peer.host === undefined || portOf(name) === undefined))
        report(
          ctx,
          [...base, i],
          `no endpoint for pair ${describeValue(name)}: give host (the pair's listen.port is used) or endpoints.${name}`,
          undefined,
        );
    }
  });
  if (set.self !== undefined && typeof set.self === "string" && !seen.name.has(set.self))
    report(ctx, ["redundantSet", "self"], `no peer named ${describeValue(set.self)}`, set.self);
  pairs.forEach((pair, i) => {
    if (typeof pair.name === "string" && peers.length > 0 && !served.has(pair.name))
      report(ctx, ["pairs", i, "name"], "no instance of redundantSet.peers serves this pair", pair.name);
  });
}
