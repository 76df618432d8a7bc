/**
 * The event log's JSONL file: loaded at start, appended to in the background (one writer, batched,
 * bounded queue), compacted when it grows past twice what memory keeps. A file that cannot be
 * written (read-only, full disk, a parent that is a file) makes the log memory-only: `onFailure`
 * is told once, nothing throws into the engine.
 */
import { appendFile, mkdir, open, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type DiagnosticEvent, parseEventLine } from "./event.ts";

export interface EventFileOptions {
  /** Lines waiting to be written at most; beyond that the oldest waiting ones are dropped. */
  maxPending: number;
  /** The file grows to this many lines before it is rewritten with what memory keeps. */
  compactAfterLines: number;
  onFailure(error: NodeJS.ErrnoException): void;
  onDropped(count: number): void;
}

export class EventFile {
  readonly path: string;
  readonly #options: EventFileOptions;
  #pending: string[] = [];
  #dropped = 0;
  #lines = 0;
  #failed = false;
  #draining: Promise<void> | null = null;
  /** Set when the file should be rewritten with these events at the next turn of the writer. */
  #compactWith: (() => readonly DiagnosticEvent[]) | null = null;

  constructor(path: string, options: EventFileOptions) {
    this.path = path;
    this.#options = options;
  }

  get failed(): boolean {
    return this.#failed;
  }

  /** Reads the events already in the file and checks that it can be appended to. */
  async load(): Promise<DiagnosticEvent[]> {
    let events: DiagnosticEvent[] = [];
    try {
      const text = await readFile(this.path, "utf8");
      const lines = text.split("\n");
      events = lines.flatMap((line) => parseEventLine(line) ?? []);
      this.#lines = events.length;
      // A torn last line (a crash in mid-write) must not glue itself to the next event.
      if (text.length > 0 && !text.endsWith("\n")) this.#pending.push("");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.#fail(error);
        return events;
      }
    }
    try {
      await mkdir(dirname(this.path), { recursive: true });
      const handle = await open(this.path, "a");
      await handle.close();
    } catch (error) {
      this.#fail(error);
    }
    return events;
  }

  append(event: DiagnosticEvent): void {
    if (this.#failed) return;
    this.#pending.push(JSON.stringify(event));
    if (this.#pending.length > this.#options.maxPending) {
      const excess = this.#pending.length - this.#options.maxPending;
      this.#pending.splice(0, excess);
      this.#dropped += excess;
    }
    this.#drain();
  }

  /** Rewrite the file with `events()` once it holds more than compactAfterLines lines. */
  compactIfLarge(events: () => readonly DiagnosticEvent[]): void {
    if (this.#failed || this.#lines + this.#pending.length <= this.#options.compactAfterLines) return;
    this.#compactWith = events;
    this.#drain();
  }

  /** Resolves when everything queued so far is written (or the file has failed). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  #drain(): void {
    this.#draining ??= this.#write().finally(() => {
      this.#draining = null;
      if (!this.#failed && (this.#pending.length > 0 || this.#compactWith)) this.#drain();
    });
  }

  async #write(): Promise<void> {
    try {
      while (this.#pending.length > 0 && !this.#failed) {
        const batch = this.#pending.splice(0);
        await appendFile(this.path, `${batch.join("\n")}\n`, "utf8");
        this.#lines += batch.length;
        if (this.#dropped > 0) {
          const dropped = this.#dropped;
          this.#dropped = 0;
          this.#options.onDropped(dropped);
        }
      }
      const compactWith = this.#compactWith;
      this.#compactWith = null;
      if (compactWith && !this.#failed) {
        const events = compactWith();
        const tmp = `${this.path}.tmp`;
        const text = events.map((e) => `${JSON.stringify(e)}\n`).join("");
        await writeFile(tmp, text, "utf8");
        await rename(tmp, this.path);
        this.#lines = events.length;
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#pending = [];
    this.#compactWith = null;
    this.#options.onFailure(error as NodeJS.ErrnoException);
  }
}
