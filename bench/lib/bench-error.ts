/**
 * Errors of the benchmark harness, with a stable code like the product's RedundancyError
 * (kept apart from src/errors.ts: these codes are no part of the product's API).
 */
export type BenchErrorCode =
  | "BENCH_FAULT_WRITE"
  | "BENCH_NO_FAILOVER"
  | "BENCH_NO_VALUE"
  | "BENCH_ITEMS_REFUSED"
  | "BENCH_PROFILE";

export class BenchError extends Error {
  readonly code: BenchErrorCode;

  constructor(code: BenchErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BenchError";
    this.code = code;
  }
}
