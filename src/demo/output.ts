/** What the demo prints: one line per status tick, per client event and per operator action. */
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
import type { DemoOptions } from "./options.ts";

type Style = Parameters<typeof styleText>[0];

export const KEYS_HELP = [
  "1 / 2  stop (crash) or restart server 1 / server 2",
  "s / S  ServiceLevel of server 1 to 150 (degraded) / back to 255 (healthy)",
  "f      manual failover to the other server",
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
    this.plain(`${title}: two simulated OPC UA servers reading one device (shared clock), and a`);
    this.plain(`redundant client that makes them look like one server. Watch Counter: in hot mode a`);
    this.plain(`failover must lose no value and deliver none twice.`);
    this.plain();
    this.#urls.forEach((url, i) => {
      const role = i === 0 ? "primary" : "secondary";
      this.plain(`  server ${i + 1} (${role})  ${this.style("cyan", url)}`);
    });
    this.plain(
      `  mode ${this.style("bold", options.mode)}, automatic failback after ${options.holdMs} ms, ` +
        `monitoring ns=1;s=Counter and ns=1;s=Sine (tick ${options.tickMs} ms)`,
    );
    this.plain();
    if (interactive) {
      this.plain("Keys:");
      for (const key of KEYS_HELP) this.plain(`  ${key}`);
    } else {
      this.plain(
        `Scripted tour (stdin is not a terminal, or --auto): every ${options.autoIntervalMs} ms, server 1 ` +
          "is stopped, then restarted (a stop waits until the client is back on server 1).",
      );
    }
    this.plain(`Engine debug logs: OPCUA_REDUNDANCY_LOG_LEVEL=debug opcua-redundancy demo`);
    this.plain();
  }

  status(pair: PairStatus, stats: CounterStats, sine: number | null): void {
    const active = pair.active === null ? this.style("red", "none") : this.label(pair.active);
    const lost = `lost ${stats.lost}`;
    const dup = `duplicates ${stats.duplicates}`;
    const parts = [
      `active ${this.style("bold", active)}`,
      `state ${pair.state}`,
      `Counter ${stats.last ?? "-"}`,
      `Sine ${sine === null ? "-" : sine.toFixed(3)}`,
      `received ${stats.received}`,
      stats.lost === 0 ? this.style("green", lost) : this.style("red", lost),
      stats.duplicates === 0 ? this.style("green", dup) : this.style("red", dup),
    ];
    if (stats.reordered > 0) parts.push(this.style("red", `reordered ${stats.reordered}`));
    if (stats.bad > 0) parts.push(`bad ${stats.bad}`);
    const servers = pair.servers
      .map((s, i) => `${i + 1}:${s.state}${s.serviceLevel === null ? "" : `/SL${s.serviceLevel}`}`)
      .join(" ");
    parts.push(this.style("dim", `[${servers}]`));
    this.line(parts.join("  "));
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

  summary(pair: PairStatus, stats: CounterStats): void {
    const verdict =
      stats.lost === 0 && stats.duplicates === 0 && stats.reordered === 0
        ? this.style(["bold", "green"], "no value lost, none duplicated")
        : this.style(["bold", "red"], "values were lost or duplicated");
    const note =
      pair.mode !== "hot" && stats.lost > 0
        ? ` (${pair.mode} mode: only hot mode keeps the standby's values)`
        : "";
    this.line(
      `summary: failovers ${pair.failovers}, received ${stats.received}, lost ${stats.lost}, ` +
        `duplicates ${stats.duplicates}, reordered ${stats.reordered}: ${verdict}${note}`,
    );
  }
}

function clockTime(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
