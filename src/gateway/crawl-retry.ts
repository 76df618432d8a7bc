/**
 * Requests of the address-space crawl that fail for a passing reason — the connection broke, the
 * pair switched servers mid-crawl, a busy server did not answer in time — are tried again a few
 * times. The servers of a pair have the same address space (the pair check says so when they do
 * not), so the crawl goes on where it is instead of starting over: at 300,000 nodes a crawl takes
 * minutes, and a pair whose servers are busy enough to fail over now and then would never finish
 * one. What is still failing after the last attempt fails the crawl (retried whole, pair-server.ts).
 */
import { RedundancyError } from "../errors.ts";
import type { BrowsePort } from "./snapshot.ts";

/** Attempts of one request, and the waits between them (1 s, 2 s, 4 s: past a failover). */
const ATTEMPTS = 4;
const FIRST_WAIT_MS = 1000;

/** `run`, tried again after a RedundancyError (the engine's coded failures), up to ATTEMPTS times. */
export async function retrying<T>(run: () => Promise<T>, waitMs = FIRST_WAIT_MS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= ATTEMPTS || !(error instanceof RedundancyError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, waitMs * 2 ** (attempt - 1)));
    }
  }
}

/**
 * The port with Browse and Read tried again (each stands alone); BrowseNext is not: its
 * continuation point lives in one session, so its caller retries the Browse it continues.
 */
export function retryingPort(port: BrowsePort, waitMs = FIRST_WAIT_MS): BrowsePort {
  return {
    browse: (nodes) => retrying(() => port.browse(nodes), waitMs),
    browseNext: (points, release) => port.browseNext(points, release),
    read: (nodes, maxAge) => retrying(() => port.read(nodes, maxAge), waitMs),
    get namespaceUris() {
      return port.namespaceUris;
    },
  };
}
