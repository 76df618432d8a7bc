/** What the demo prints: one line per status tick, per gateway engine event and per operator action. */
import { styleText } from "node:util";
import type {
  AllServersLostEvent,
  FailoverEvent,
  PairStatus,
  RecoveredEvent,
  StateChangeEvent,
} from "../client/types.ts";
import type { LinkStateChange } from "../upstream/link.ts";
import type { CounterStats } from "./counter-stats.ts";
import { DEMO_TOKEN, type DemoOptions, gatewayEndpoint, statusUrl } from "./options.ts";

type Style = Parameters<typeof styleText>[0];

export const KEYS_HELP = [
  "1 / 2  crash (stop) or restart server 1 / server 2: crashing the active server fails over",
  "s / S  ServiceLevel of server 1 to 150 (degraded: fails over) / back to 255 (healthy: fails back)",
  "f      manual failover to the other server",
  "h      this help",
  "q      quit (also Ctrl-C)",
];

export class Printer {
  readonly #out: NodeJS.WritableStream;
  readonly #colour: boolean;
  readonly #urls: readonly string[];

  constructor(out: NodeJS.WritableStream, options: { colour: boolean; urls: readonly string[] }) {
    this.#out = out;
    this.#colour = options.colour;
    this.#urls = options.urls;
  }

  style(format: Style, text: string): string {
    return this.#colour ? styleText(format, text, { validateStream: false }) : text;
  }

  /** "server 1", or the URL itself when it is not one of the demo's servers. */
  label(url: string | null): string {
    if (url === null) return "none";
    const index = this.#urls.indexOf(url);
    return index === -1 ? url : `server ${index + 1}`;
  }

  /** A timestamped line. */
  line(text: string): void {
    this.#out.write(`${this.style("dim", clockTime(new Date()))}  ${text}\n`);
  }

  /** A line without a timestamp (banner, help). */
  plain(text = ""): void {
    this.#out.write(`${text}\n`);
  }

  banner(options: DemoOptions, interactive: boolean): void {
    const title = this.style("bold", "opcua-redundancy demo");
    const endpoint = this.style(["bold", "cyan"], gatewayEndpoint(options));
    this.plain(`${title}: two simulated OPC UA servers reading one device (shared clock), and the`);
    this.plain("gateway that makes them look like ONE server. Connect any OPC UA client to the gateway and");
    this.plain("watch Counter while a server fails: in hot mode a failover loses no value, duplicates none.");
    this.plain();
    this.plain(`  ${"OPC UA endpoint".padEnd(20)}  ${endpoint}   (SecurityPolicy None, anonymous)`);
    const indent = " ".repeat(24);
    this.plain(`${indent}Objects/Simulation: ns=1;s=Counter (Int32, +1 per tick), ns=1;s=Sine (Double),`);
    this.plain(`${indent}ns=1;s=Status (Int32, writable: the write goes to the active server)`);
    const page = statusUrl(options).replace(/api\/status$/, "");
    this.plain(
      `  ${"status page".padEnd(20)}  ${this.style("cyan", page)}   (token for the buttons: ${DEMO_TOKEN})`,
    );
    this.plain(`  ${"status".padEnd(20)}  ${this.style("cyan", statusUrl(options))}   (and /health)`);
    this.#urls.forEach((url, i) => {
      const role = i === 0 ? "primary" : "secondary";
      this.plain(`  ${`server ${i + 1} (${role})`.padEnd(20)}  ${this.style("cyan", url)}`);
    });
    this.plain(
      `  mode ${this.style("bold", options.mode)}, automatic failback after ${options.holdMs} ms, ` +
        `tick ${options.tickMs} ms, address-space cache in ${options.dataDir}`,
    );
    this.plain();
    if (interactive) {
      this.plain("Cause a failover with the keys:");
      for (const key of KEYS_HELP) this.plain(`  ${key}`);
    } else {
      this.plain(
        `Scripted tour (stdin is not a terminal, or --auto): every ${options.autoIntervalMs} ms, server 1 ` +
          "is stopped (a crash: the gateway fails over to server 2), then restarted (the gateway fails back; " +
          "a stop waits until the gateway is back on server 1). " +
          "Run it in a terminal without --auto to cause failovers with keys (1, 2, s, f).",
      );
    }
    this.plain(
      "Status line: Counter as an OPC UA client sees it through the gateway (received, lost, duplicates), " +
        "then the same count inside the engine.",
    );
    this.plain("Engine debug logs (stderr): OPCUA_REDUNDANCY_LOG_LEVEL=debug opcua-redundancy demo");
    this.plain();
  }

  /**
   * One status line. `downstream` is the demo's own OPC UA client on the gateway endpoint: its
   * counts, or what it is doing while it has none.
   */
  status(
    pair: PairStatus,
    engine: CounterStats,
    downstream: CounterStats | string,
    sine: number | null,
    events?: number,
  ): void {
    const active = pair.active === null ? this.style("red", "none") : this.label(pair.active);
    const counter = typeof downstream === "string" ? engine.last : (downstream.last ?? engine.last);
    const parts = [
      `active ${this.style("bold", active)}`,
      `state ${pair.state}`,
      `Counter ${counter ?? "-"}`,
      `Sine ${sine === null ? "-" : sine.toFixed(3)}`,
      typeof downstream === "string"
        ? `through the gateway: ${downstream}`
        : `through the gateway: ${this.#counts(downstream)}`,
      this.style("dim", "engine: ") + this.#counts(engine),
      ...(events === undefined ? [] : [`events ${events}`]),
    ];
    const servers = pair.servers
      .map((s, i) => `${i + 1}:${s.state}${s.serviceLevel === null ? "" : `/SL${s.serviceLevel}`}`)
      .join(" ");
    parts.push(this.style("dim", `[${servers}]`));
    this.line(parts.join("  "));
  }

  /** "received 12, lost 0, duplicates 0" (+ reordered, bad when there are any). */
  #counts(stats: CounterStats): string {
    const lost = `lost ${stats.lost}`;
    const dup = `duplicates ${stats.duplicates}`;
    const parts = [
      `received ${stats.received}`,
      stats.lost === 0 ? this.style("green", lost) : this.style("red", lost),
      stats.duplicates === 0 ? this.style("green", dup) : this.style("red", dup),
    ];
    if (stats.reordered > 0) parts.push(this.style("red", `reordered ${stats.reordered}`));
    if (stats.bad > 0) parts.push(`bad ${stats.bad}`);
    return parts.join(", ");
  }

  failover(e: FailoverEvent): void {
    const failback = e.reason === "failback";
    const head = failback
      ? this.style(["bold", "green"], "FAILBACK")
      : this.style(["bold", "yellow"], "FAILOVER");
    const took = `${e.durationMs} ms without an active server`;
    this.line(
      `${head} ${this.label(e.from)} -> ${this.label(e.to)}  reason ${e.reason} (${e.detail}), ${took}`,
    );
  }

  stateChanged(e: StateChangeEvent): void {
    this.line(this.style("cyan", `pair state ${e.from} -> ${e.to} (${e.reason})`));
  }

  allServersLost(e: AllServersLostEvent): void {
    this.line(this.style(["bold", "red"], `ALL SERVERS LOST  reason ${e.reason} (${e.detail})`));
  }

  recovered(e: RecoveredEvent): void {
    this.line(
      this.style(
        ["bold", "green"],
        `RECOVERED on ${this.label(e.server)} after ${e.downMs} ms without a server`,
      ),
    );
  }

  linkStateChanged(e: LinkStateChange): void {
    this.line(this.style("dim", `link ${this.label(e.url)} ${e.from} -> ${e.to} (${e.reason})`));
  }

  /** An operator action or its outcome. */
  action(text: string): void {
    this.line(this.style("magenta", text));
  }

  problem(text: string): void {
    this.line(this.style("red", text));
  }

  /** The verdict: what the downstream client saw through the gateway, and what the engine saw. */
  summary(pair: PairStatus, engine: CounterStats, downstream: CounterStats | null): void {
    const clean = (s: CounterStats) => s.lost === 0 && s.duplicates === 0 && s.reordered === 0;
    const counts = (s: CounterStats) =>
      `received ${s.received}, lost ${s.lost}, duplicates ${s.duplicates}, reordered ${s.reordered}`;
    const seen = downstream ?? engine;
    const verdict = clean(seen)
      ? this.style(["bold", "green"], "no value lost, none duplicated")
      : this.style(["bold", "red"], "values were lost or duplicated");
    const note =
      pair.mode !== "hot" && seen.lost > 0
        ? ` (${pair.mode} mode: only hot mode keeps the standby's values)`
        : "";
    const through =
      downstream === null
        ? "through the gateway: no downstream client"
        : `through the gateway: ${counts(downstream)}`;
    this.line(
      `summary: failovers ${pair.failovers}; ${through}; engine: ${counts(engine)}: ${verdict}${note}`,
    );
  }
}

function clockTime(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
