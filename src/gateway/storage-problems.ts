/**
 * Writes to the data directory that fail (read-only, full disk): one clear error per file, logged
 * once and recorded once in the diagnostics log, listed in the status (`GET /api/status`
 * `storage`) until a write to that file succeeds again. Nothing else stops: failover,
 * subscriptions and forwarding never depend on the disk.
 */
import type { EventInput } from "../diagnostics/event.ts";
import type { Logger } from "../log.ts";

export interface StorageProblem {
  /** What could not be written: the diagnostics event file or a pair's address-space cache. */
  what: "diagnostics" | "addressSpaceCache";
  pair: string | null;
  path: string;
  /** e.g. ENOSPC, EROFS, EACCES. */
  code: string | null;
  message: string;
  since: string;
}

export class StorageProblems {
  readonly #problems = new Map<string, StorageProblem>();
  readonly #logger: Logger;
  readonly #record: (input: EventInput) => void;

  constructor(logger: Logger, record: (input: EventInput) => void) {
    this.#logger = logger;
    this.#record = record;
  }

  /** Runs `write`; a failure becomes this file's problem (reported once), a success clears it. */
  async write(what: StorageProblem["what"], pair: string | null, path: string, write: () => Promise<void>) {
    try {
      await write();
      if (this.#problems.delete(path)) this.#logger.info({ file: path }, `${path} can be written again`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? null;
      const impact =
        what === "addressSpaceCache"
          ? "the address space is served from the upstream, but a start while every upstream is down will have none"
          : "events are kept in memory only";
      const message = `${path} cannot be written (${code ?? (error as Error).message}): ${impact}`;
      this.report({ what, pair, path, code, message });
    }
  }

  /** A problem found elsewhere (the event log reports its own file's failure once). */
  report(problem: Omit<StorageProblem, "since">, alreadyLogged = false): void {
    if (this.#problems.get(problem.path)?.message === problem.message) return;
    this.#problems.set(problem.path, { ...problem, since: new Date().toISOString() });
    if (alreadyLogged) return;
    this.#logger.error({ file: problem.path, code: problem.code, pair: problem.pair }, problem.message);
    this.#record({
      kind: "error",
      pair: problem.pair,
      message: problem.message,
      details: { file: problem.path, code: problem.code },
    });
  }

  list(): StorageProblem[] {
    return [...this.#problems.values()];
  }
}
