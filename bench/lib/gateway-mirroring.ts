/**
 * Section 2 of the gateway benchmark: how long the gateway takes to mirror an upstream address
 * space of N bulk variables (eagerly, at first activation), what it costs in memory, how large the
 * address-space cache file is, and how fast a restart serves the address space from that cache.
 */
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type SimProcess, spawnSimulator } from "../../test/helpers/sim-process.ts";
import { waitFor } from "../../test/helpers/wait.ts";
import {
  type BenchGateway,
  createBenchGateway,
  loopbackUrl,
  MB,
  type MemoryFigures,
  message,
  round,
  settledMemory,
} from "./gateway-common.ts";

/** Mostly idle upstreams: the cost measured is the mirroring's. */
export const MIRROR_TICK_MS = 5000;
const MIRROR_TIMEOUT_MS = 300_000;

export interface MirroringResult {
  bulk: number;
  simulatorStartupMs: number[];
  /** gateway.start() called → `mirrored` true (from the upstream). */
  startToMirroredMs?: number;
  /** gateway.start() itself (the endpoint listening, before mirroring). */
  startCallMs?: number;
  /** Every Bulk variable is in the served address space. */
  allBulkMirrored?: boolean;
  /** After a full GC, before the gateway was created and once it had mirrored. */
  memoryBefore?: MemoryFigures;
  memoryAfter?: MemoryFigures;
  rssIncreaseBytes?: number;
  heapIncreaseBytes?: number;
  cacheFile?: string;
  /** `mirrored` → the cache file written. */
  cacheWrittenAfterMs?: number;
  cacheFileBytes?: number;
  cacheNodes?: number;
  /** Restart with every upstream down: gateway.start() → `mirrored` from the cache. */
  restartFromCacheMs?: number;
  restartAllBulkMirrored?: boolean;
  error?: string;
}

function bulkServed(bench: BenchGateway, bulk: number): boolean {
  const addressSpace = bench.gateway.pairs[0]!.addressSpace;
  if (!addressSpace) return false;
  if (bulk === 0) return addressSpace.findNode("ns=1;s=Counter") !== null;
  return (
    addressSpace.findNode(`ns=1;s=Bulk.${bulk - 1}`) !== null &&
    addressSpace.findNode("ns=1;s=Bulk.0") !== null
  );
}

export async function runMirroring(
  bulk: number,
  options: { cacheRestart: boolean },
  progress: (line: string) => void,
): Promise<MirroringResult> {
  const result: MirroringResult = { bulk, simulatorStartupMs: [] };
  const sims: SimProcess[] = [];
  let bench: BenchGateway | undefined;
  let restarted: BenchGateway | undefined;
  try {
    sims.push(
      ...(await Promise.all(
        [0, 1].map(() => spawnSimulator({ tickMs: MIRROR_TICK_MS, sharedClock: true, bulk })),
      )),
    );
    result.simulatorStartupMs = sims.map((s) => round(s.startupMs));
    result.memoryBefore = settledMemory();
    bench = await createBenchGateway({ mode: "hot", servers: sims.map((s) => loopbackUrl(s.port)) });
    const pair = bench.gateway.pairs[0]!;
    const started = performance.now();
    await bench.gateway.start();
    result.startCallMs = round(performance.now() - started);
    await waitFor(() => pair.mirrored, MIRROR_TIMEOUT_MS, `the gateway to mirror ${bulk} bulk variables`);
    const mirroredAt = performance.now();
    result.startToMirroredMs = round(mirroredAt - started);
    result.allBulkMirrored = bulkServed(bench, bulk);
    progress(
      `  ${bulk} bulk: mirrored in ${result.startToMirroredMs} ms (all bulk served: ${result.allBulkMirrored})`,
    );

    const cacheFile = join(bench.dataDir, "address-space", "bench.json");
    result.cacheFile = cacheFile;
    const written = await waitFor(() => existsSync(cacheFile), 60_000, "the address-space cache file").then(
      () => true,
      () => false,
    );
    if (written) {
      result.cacheWrittenAfterMs = round(performance.now() - mirroredAt);
      result.cacheFileBytes = (await stat(cacheFile)).size;
      const parsed = JSON.parse(await readFile(cacheFile, "utf8")) as { nodes?: unknown[] };
      result.cacheNodes = parsed.nodes?.length ?? 0;
    }
    result.memoryAfter = settledMemory();
    result.rssIncreaseBytes = result.memoryAfter.rssBytes - result.memoryBefore.rssBytes;
    result.heapIncreaseBytes = result.memoryAfter.heapUsedBytes - result.memoryBefore.heapUsedBytes;
    progress(
      `  ${bulk} bulk: RSS +${round(result.rssIncreaseBytes / MB)} MB, heap +${round(result.heapIncreaseBytes / MB)} MB, ` +
        `cache ${round((result.cacheFileBytes ?? 0) / MB, 2)} MB (${result.cacheNodes ?? "?"} nodes)`,
    );

    if (!options.cacheRestart) return result;
    // Restart with every upstream down: the address space comes from the cache.
    await bench.stop({ keepDataDir: true });
    await Promise.all(sims.map((s) => s.kill()));
    restarted = await createBenchGateway({
      mode: "hot",
      servers: sims.map((s) => loopbackUrl(s.port)),
      dataDir: bench.dataDir,
    });
    const restartedPair = restarted.gateway.pairs[0]!;
    const restartBegan = performance.now();
    await restarted.gateway.start();
    await waitFor(() => restartedPair.mirrored, 60_000, "the gateway to serve the cached address space");
    result.restartFromCacheMs = round(performance.now() - restartBegan);
    result.restartAllBulkMirrored = bulkServed(restarted, bulk);
    progress(
      `  ${bulk} bulk: restart from the cache (upstreams down) served in ${result.restartFromCacheMs} ms`,
    );
    return result;
  } catch (error) {
    result.error = message(error);
    return result;
  } finally {
    const stops = [bench?.stop(), restarted?.stop()].filter((p) => p !== undefined);
    await Promise.all(stops.map((p) => p.catch((error: unknown) => (result.error ??= message(error)))));
    await Promise.all(sims.map((s) => s.dispose()));
  }
}
