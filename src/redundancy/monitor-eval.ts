/**
 * User-defined monitor items (link-based failures): per server and monitor, whether the condition
 * holds. Pure: the wiring feeds it samples, creations, refusals and connection changes with the
 * time, asks it when the next no-change deadline falls, and feeds it the time again then.
 */
import { compareMonitorValue, type MonitorOperand, type MonitorValue } from "./monitor-compare.ts";

/** One monitor's configuration: exactly one condition (checked by the config schema). */
export interface MonitorDefinition {
  nodeId: string;
  noChangeMs?: number | undefined;
  value?: { op: "==" | "!=" | "<" | "<=" | ">" | ">="; value: MonitorOperand } | undefined;
  badQuality?: true | undefined;
}

/** One notification of a monitored item, reduced to what the conditions need. */
export interface MonitorSample {
  /** StatusCode is Good. */
  good: boolean;
  /** StatusCode name, e.g. "Good", "BadNoCommunication". */
  status: string;
  value: MonitorValue;
}

export interface MonitorState {
  nodeId: string;
  failing: boolean;
  /** Why it fails, or why it is not evaluated yet (null: passing). */
  reason: string | null;
}

export type MonitorEvent =
  /** A monitor started or stopped failing on a server. */
  | { kind: "trigger"; server: number; monitor: number; nodeId: string; failing: boolean; reason: string }
  /** noChangeMs was below 2× the item's update rate and has been raised. */
  | {
      kind: "noChangeRaised";
      server: number;
      monitor: number;
      nodeId: string;
      configuredMs: number;
      effectiveMs: number;
      updateRateMs: number;
    };

type Phase = "offline" | "awaiting" | "live" | "refused";

interface Cell {
  phase: Phase;
  failing: boolean;
  reason: string | null;
  /** noChange: the effective period (configured, or raised to 2× the update rate). */
  noChangeMs: number;
  /** noChange: when the last update arrived. */
  lastUpdateAt: number;
  /** The effective period last announced by a noChangeRaised event (no repeat at every reconnect). */
  announcedMs: number | null;
}

/** Status codes that say the item cannot exist on that server: it fails there, whatever its condition. */
const CANNOT_MONITOR = new Set([
  "BadNodeIdUnknown",
  "BadNodeIdInvalid",
  "BadAttributeIdInvalid",
  "BadIndexRangeInvalid",
  "BadNotReadable",
  "BadUserAccessDenied",
  "BadMonitoredItemFilterUnsupported",
  "BadTooManyMonitoredItems",
]);

export function cannotMonitor(status: string): boolean {
  return CANNOT_MONITOR.has(status);
}

export class MonitorEvaluator {
  readonly #monitors: readonly MonitorDefinition[];
  /** cells[server][monitor] */
  readonly #cells: Cell[][];

  constructor(monitors: readonly MonitorDefinition[], serverCount: number) {
    this.#monitors = monitors;
    this.#cells = Array.from({ length: serverCount }, () =>
      monitors.map(
        (m): Cell => ({
          phase: "offline",
          failing: false,
          reason: null,
          noChangeMs: m.noChangeMs ?? 0,
          lastUpdateAt: 0,
          announcedMs: null,
        }),
      ),
    );
  }

  get size(): number {
    return this.#monitors.length;
  }

  /** How many of the server's monitors are failing now. */
  failingCount(server: number): number {
    return this.#row(server).filter((c) => c.failing).length;
  }

  states(server: number): MonitorState[] {
    return this.#row(server).map((c, i) => ({
      nodeId: this.#monitors[i]!.nodeId,
      failing: c.failing,
      reason:
        c.reason ??
        (c.phase === "offline" ? "not connected" : c.phase === "awaiting" ? "awaiting first update" : null),
    }));
  }

  /** The server's link is (re)connected: every monitor is tested afresh, passing until its first update. */
  connected(server: number): MonitorEvent[] {
    return this.#resetRow(server, "awaiting", "reconnected: tested afresh");
  }

  /** The server's link is down: its monitors are not evaluated (the link itself is the fault). */
  disconnected(server: number): MonitorEvent[] {
    return this.#resetRow(server, "offline", "server not connected: tested afresh after reconnect");
  }

  /**
   * The item was created on the server. `updateRateMs`: the fastest it can report (the revised
   * sampling interval or publishing interval, whichever is longer).
   */
  created(server: number, monitor: number, updateRateMs: number): MonitorEvent[] {
    const definition = this.#monitors[monitor]!;
    const cell = this.#cell(server, monitor);
    if (definition.noChangeMs === undefined) return [];
    const effectiveMs = Math.max(definition.noChangeMs, 2 * updateRateMs);
    cell.noChangeMs = effectiveMs;
    if (effectiveMs === definition.noChangeMs || cell.announcedMs === effectiveMs) return [];
    cell.announcedMs = effectiveMs;
    return [
      {
        kind: "noChangeRaised",
        server,
        monitor,
        nodeId: definition.nodeId,
        configuredMs: definition.noChangeMs,
        effectiveMs,
        updateRateMs,
      },
    ];
  }

  /** The item cannot be created on this server: failing there until the next reconnect. */
  refused(server: number, monitor: number, reason: string): MonitorEvent[] {
    const cell = this.#cell(server, monitor);
    if (cell.phase === "offline") return [];
    cell.phase = "refused";
    return this.#set(server, monitor, true, `cannot monitor on this server: ${reason}`);
  }

  sample(server: number, monitor: number, sample: MonitorSample, now: number): MonitorEvent[] {
    const cell = this.#cell(server, monitor);
    if (cell.phase === "offline") return [];
    if (cannotMonitor(sample.status)) return this.refused(server, monitor, sample.status);
    if (cell.phase === "refused") return [];
    cell.phase = "live";
    cell.lastUpdateAt = now;
    const definition = this.#monitors[monitor]!;
    if (definition.noChangeMs !== undefined) return this.#set(server, monitor, false, null);
    if (definition.badQuality) {
      return this.#set(server, monitor, !sample.good, sample.good ? null : `status ${sample.status}`);
    }
    if (definition.value) {
      // A value without data (Bad status, no value) says nothing about the comparison.
      if (!sample.good && (sample.value === null || sample.value === undefined)) return [];
      const verdict = compareMonitorValue(sample.value, definition.value.op, definition.value.value);
      return this.#set(server, monitor, verdict.meets, verdict.meets ? verdict.description : null);
    }
    return [];
  }

  /** The time has come: no-change periods that ran out start failing. */
  tick(now: number): MonitorEvent[] {
    const events: MonitorEvent[] = [];
    this.#cells.forEach((row, server) => {
      row.forEach((cell, monitor) => {
        if (cell.phase !== "live" || this.#monitors[monitor]!.noChangeMs === undefined || cell.failing)
          return;
        const silentMs = now - cell.lastUpdateAt;
        if (silentMs >= cell.noChangeMs) {
          events.push(
            ...this.#set(server, monitor, true, `no change for ${silentMs} ms (limit ${cell.noChangeMs} ms)`),
          );
        }
      });
    });
    return events;
  }

  /** When `tick` should be called next (null: no no-change period is running). */
  nextDeadline(): number | null {
    let next: number | null = null;
    this.#cells.forEach((row) => {
      row.forEach((cell, monitor) => {
        if (cell.phase !== "live" || this.#monitors[monitor]!.noChangeMs === undefined || cell.failing)
          return;
        const at = cell.lastUpdateAt + cell.noChangeMs;
        if (next === null || at < next) next = at;
      });
    });
    return next;
  }

  #resetRow(server: number, phase: Phase, reason: string): MonitorEvent[] {
    const events: MonitorEvent[] = [];
    this.#row(server).forEach((cell, monitor) => {
      cell.phase = phase;
      events.push(...this.#set(server, monitor, false, null, reason));
    });
    return events;
  }

  /** The one place a monitor's verdict changes; returns a trigger event when `failing` flips. */
  #set(
    server: number,
    monitor: number,
    failing: boolean,
    reason: string | null,
    clearedBecause?: string,
  ): MonitorEvent[] {
    const cell = this.#cell(server, monitor);
    const was = cell.failing;
    cell.failing = failing;
    cell.reason = reason;
    if (was === failing) return [];
    const nodeId = this.#monitors[monitor]!.nodeId;
    const why = failing ? (reason ?? "failing") : (clearedBecause ?? "condition no longer met");
    return [{ kind: "trigger", server, monitor, nodeId, failing, reason: why }];
  }

  #row(server: number): Cell[] {
    const row = this.#cells[server];
    if (!row) throw new RangeError(`server index ${server} out of range 0..${this.#cells.length - 1}`);
    return row;
  }

  #cell(server: number, monitor: number): Cell {
    const cell = this.#row(server)[monitor];
    if (!cell) throw new RangeError(`monitor index ${monitor} out of range 0..${this.#monitors.length - 1}`);
    return cell;
  }
}
