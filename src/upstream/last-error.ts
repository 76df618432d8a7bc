/** A link's last failure: what, when, and (told whether the link is connected) whether it stands. */
export class LastError {
  #message: string | undefined;
  #at: number | undefined;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  get message(): string | undefined {
    return this.#message;
  }

  set(message: string): void {
    this.#message = message;
    this.#at = this.#now();
  }

  /** The status fields; the error no longer stands once the server is connected (again). */
  status(connected: boolean): {
    lastError: string | null;
    lastErrorAt: string | null;
    lastErrorCurrent: boolean;
  } {
    return {
      lastError: this.#message ?? null,
      lastErrorAt: this.#at === undefined ? null : new Date(this.#at).toISOString(),
      lastErrorCurrent: this.#message !== undefined && !connected,
    };
  }
}
