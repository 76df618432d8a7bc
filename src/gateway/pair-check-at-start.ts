/**
 * The pair check (src/pair-check) run by the gateway when a pair starts: its servers compared as
 * the gateway's links see them (the configured security and user), in the background so that a
 * slow or absent server delays nothing. Differences are warnings — in the log, in a diagnostics
 * event, in `/api/status` (pairs[].pairCheck) — never a reason to refuse to serve.
 */
import type { PairConfig } from "../config/schema.ts";
import type { EventInput } from "../diagnostics/event.ts";
import type { Logger } from "../log.ts";
import { checkPair } from "../pair-check/check-pair.ts";
import { describeDifferences } from "../pair-check/compare.ts";
import { upstreamUserIdentity } from "../upstream/security-options.ts";

export interface PairCheckSummary {
  /** ISO time the check finished. */
  checkedAt: string;
  /** null: the check could not be made (see `error`). */
  interchangeable: boolean | null;
  /** One line per difference, with counts and examples. */
  warnings: string[];
  error: string | null;
  durationMs: number;
}

export interface PairChecksOptions {
  logger: Logger;
  record(event: EventInput): void;
  /** The client PKI folder of the gateway's links. */
  pkiFolder: string;
}

const READY_WAIT_MS = 60_000;
const READY_POLL_MS = 250;

export class PairChecks {
  readonly #options: PairChecksOptions;
  readonly #results = new Map<string, PairCheckSummary>();
  /** Per pair, the configuration being checked: a result for an older one is dropped. */
  readonly #current = new Map<string, PairConfig>();

  constructor(options: PairChecksOptions) {
    this.#options = options;
  }

  get(pair: string): PairCheckSummary | undefined {
    return this.#results.get(pair);
  }

  /** Whether a check of `pair` waits, runs or has run for its current configuration. */
  has(pair: string): boolean {
    return this.#current.has(pair);
  }

  forget(pair: string): void {
    this.#current.delete(pair);
    this.#results.delete(pair);
  }

  /**
   * Starts the check of `pair` once `serving()` says the pair serves (at most READY_WAIT_MS later):
   * the check browses every server, and must not compete with the pair's own start. Resolves when
   * it is done; never rejects.
   */
  async run(pair: PairConfig, serving: () => boolean = () => true): Promise<void> {
    if (pair.servers.length < 2) return;
    this.#current.set(pair.name, pair);
    this.#results.delete(pair.name);
    const deadline = Date.now() + READY_WAIT_MS;
    while (!serving() && Date.now() < deadline && this.#current.get(pair.name) === pair)
      await new Promise<void>((resolve) => setTimeout(resolve, READY_POLL_MS).unref());
    if (this.#current.get(pair.name) !== pair) return;
    await this.#check(pair).catch((error: unknown) => {
      this.#options.logger.error({ err: error, pair: pair.name }, "pair check failed");
    });
  }

  /** Whether a pair serves: its address space mirrored and a server active. */
  static serving(pair: { mirrored: boolean; status(): { active: string | null } }): boolean {
    return pair.mirrored && pair.status().active !== null;
  }

  /** No more checks (the gateway stops): waiting ones give up. */
  stop(): void {
    this.#current.clear();
  }

  async #check(pair: PairConfig): Promise<void> {
    const began = performance.now();
    const log = this.#options.logger.child({ pair: pair.name });
    let summary: PairCheckSummary;
    try {
      const result = await checkPair(
        pair.servers.map((s) => s.url),
        async (i) => {
          const server = pair.servers[i]!;
          const identity = await upstreamUserIdentity(server.user);
          return {
            pkiFolder: this.#options.pkiFolder,
            security: { policy: server.security?.policy ?? "None", mode: server.security?.mode ?? "None" },
            ...(identity ? { identity } : {}),
          };
        },
      );
      summary = {
        checkedAt: new Date().toISOString(),
        interchangeable: result.interchangeable,
        warnings: describeDifferences(result),
        error: null,
        durationMs: Math.round(performance.now() - began),
      };
    } catch (error) {
      summary = {
        checkedAt: new Date().toISOString(),
        interchangeable: null,
        warnings: [],
        error: error instanceof Error ? error.message : String(error),
        durationMs: Math.round(performance.now() - began),
      };
    }
    if (this.#current.get(pair.name) !== pair) return; // reconfigured or removed meanwhile
    this.#results.set(pair.name, summary);
    if (summary.error !== null) {
      log.warn({ error: summary.error }, "pair check could not be made");
      return;
    }
    if (summary.interchangeable) {
      log.info({ durationMs: summary.durationMs }, "pair check: the servers are interchangeable");
      return;
    }
    for (const warning of summary.warnings) log.warn(`pair check: ${warning}`);
    this.#options.record({
      kind: "config",
      pair: pair.name,
      server: null,
      message: `pair check: the servers are not interchangeable (${summary.warnings.length} difference(s))`,
      details: { warnings: summary.warnings },
    });
  }
}
