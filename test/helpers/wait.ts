/**
 * Waiting helpers for tests: every wait has a timeout and a name that shows up in the error.
 * Tests never sleep; they wait for a condition or an event through these.
 */

const POLL_MS = 10;

/** Polls `predicate` every 10 ms until it returns a truthy value, which is returned. */
export function waitFor<T>(
  predicate: () => T | undefined | false | null,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const started = Date.now();
  return new Promise<T>((resolve, reject) => {
    const check = () => {
      let value: T | undefined | false | null;
      try {
        value = predicate();
      } catch (error) {
        reject(error);
        return;
      }
      if (value !== undefined && value !== false && value !== null) {
        resolve(value);
      } else if (Date.now() - started >= timeoutMs) {
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      } else {
        setTimeout(check, POLL_MS);
      }
    };
    check();
  });
}

/** Polls an async probe every 10 ms (each probe awaited) until it returns a truthy value. */
export async function waitForAsync<T>(
  probe: () => Promise<T | undefined | false | null>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false && value !== null) {
        return value;
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await delay(POLL_MS);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: listeners of any event signature
type AnyFunction<R> = (...args: any[]) => R;
/** Anything with on/off (EventEmitter and typed emitters such as Simulator). */
export interface Emitter {
  on(event: string, listener: AnyFunction<void>): unknown;
  off(event: string, listener: AnyFunction<void>): unknown;
}

/**
 * Resolves with the arguments of the first `event` that passes `filter` (all arguments when the
 * listener gets several, else the single argument).
 */
export function waitForEvent<T = unknown>(
  emitter: Emitter,
  event: string,
  timeoutMs: number,
  filter?: AnyFunction<boolean>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      if (filter && !filter(...args)) {
        return;
      }
      cleanup();
      resolve((args.length > 1 ? args : args[0]) as T);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for event "${event}"`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off(event, listener);
    };
    emitter.on(event, listener);
  });
}

/** Collects every `event` until stopped: `values` fills as events arrive. */
export function collectEvents<T = unknown>(emitter: Emitter, event: string): { values: T[]; stop(): void } {
  const values: T[] = [];
  const listener = (value: T) => {
    values.push(value);
  };
  emitter.on(event, listener);
  return { values, stop: () => emitter.off(event, listener) };
}

/** Rejects with a clear error when `promise` does not settle within `timeoutMs`. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms`. For use inside wait helpers and for deliberate "nothing happens" windows. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Every integration test's own time limit, well below the runner's per-file limit, so that a test
 * that hangs is reported by name and the file goes on.
 */
export const INTEGRATION_TEST_TIMEOUT_MS = 120_000;
