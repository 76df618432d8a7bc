/**
 * The diagnostics event log: every state change, failover, link event, monitor trigger, gap,
 * config change, mail problem and internal error, with date, time, pair and server. Kept in memory
 * up to `maxEvents` (oldest dropped), persisted to a JSONL file when one is configured (old events
 * are shown after a restart, new ones appended), and followed live through the `event` event.
 * Recording never blocks and never throws: the file is written in the background.
 */
import { EventEmitter } from "node:events";
import { type Clock, systemClock } from "../clock.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { DiagnosticEvent, EventFilter, EventInput } from "./event.ts";
import { matches } from "./event.ts";
import { EventFile } from "./event-file.ts";

export interface EventLogOptions {
  /** JSONL file (none: memory only). */
  file?: string | undefined;
  maxEvents: number;
  clock?: Clock;
  logger?: Logger;
}

export interface EventLogEvents {
  event: [DiagnosticEvent];
}

export class EventLog extends EventEmitter<EventLogEvents> {
  readonly maxEvents: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #file: EventFile | null;
  #events: DiagnosticEvent[] = [];
  #nextSeq = 1;
  #opened = false;

  constructor(options: EventLogOptions) {
    super();
    this.maxEvents = options.maxEvents;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#file = options.file
      ? new EventFile(options.file, {
          maxPending: Math.max(1000, options.maxEvents),
          compactAfterLines: 2 * options.maxEvents,
          onFailure: (error) => this.#fileFailed(error),
          onDropped: (count) =>
            this.record({
              kind: "error",
              message: `${count} diagnostics events were not written to the file (queue full)`,
            }),
        })
      : null;
  }

  /** The file's path while events are written to it; null when memory-only (none, or it failed). */
  get file(): string | null {
    return this.#file && !this.#file.failed ? this.#file.path : null;
  }

  /** Loads the events of earlier runs from the file; events recorded before come after them. */
  async open(): Promise<void> {
    if (this.#opened) return;
    this.#opened = true;
    if (!this.#file) return;
    const early = this.#events;
    const old = await this.#file.load();
    const lastSeq = old.reduce((max, e) => Math.max(max, e.seq), 0);
    // Numbers are never reused: events recorded before the file was read are numbered after it.
    const renumbered = early.map((e, i) => ({ ...e, seq: lastSeq + 1 + i }));
    this.#nextSeq = lastSeq + 1 + early.length;
    this.#events = [...old, ...renumbered].slice(-this.maxEvents);
    for (const event of renumbered) this.#file.append(event);
  }

  record(input: EventInput): DiagnosticEvent {
    const event: DiagnosticEvent = {
      seq: this.#nextSeq++,
      at: (input.at ?? new Date(this.#clock.now())).toISOString(),
      kind: input.kind,
      pair: input.pair ?? null,
      server: input.server ?? null,
      message: input.message,
      ...(input.details ? { details: input.details } : {}),
    };
    this.#events.push(event);
    if (this.#events.length > this.maxEvents) this.#events.splice(0, this.#events.length - this.maxEvents);
    if (this.#opened && this.#file) {
      this.#file.append(event);
      this.#file.compactIfLarge(() => this.#events);
    }
    try {
      this.emit("event", event);
    } catch (error) {
      // A follower's bug must not reach the engine that recorded the event.
      this.#logger.error({ err: error }, "diagnostics event listener failed");
    }
    return event;
  }

  /** Events oldest first, filtered; `limit` keeps the newest ones. */
  list(filter: EventFilter = {}): DiagnosticEvent[] {
    const found = this.#events.filter((e) => matches(e, filter));
    return filter.limit !== undefined ? found.slice(-filter.limit) : found;
  }

  /** Waits until every event recorded so far is in the file (for shutdown and tests). */
  async flush(): Promise<void> {
    await this.#file?.flush();
  }

  /** Why the configured file is not written (null while it is, or when there is none). */
  fileProblem: { path: string; code: string | null; message: string } | null = null;

  #fileFailed(error: NodeJS.ErrnoException): void {
    const path = this.#file?.path ?? "";
    const message = `diagnostics file ${path} cannot be written (${error.code ?? error.message}): events are kept in memory only`;
    this.fileProblem = { path, code: error.code ?? null, message };
    this.#logger.error({ err: error, file: path }, message);
    this.record({ kind: "error", message, details: { file: path, code: error.code ?? null } });
  }
}
