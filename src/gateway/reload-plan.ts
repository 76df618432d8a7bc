/**
 * What a configuration reload does to each pair, decided from the running and the new
 * configuration alone (pure: no I/O). A pair is matched by name.
 */
import type { PairConfig } from "../config/schema.ts";

export interface ReloadPlan {
  /** In the new configuration only: started. */
  add: PairConfig[];
  /** In the running configuration only: stopped. */
  remove: string[];
  /** Other settings (servers, mode, timings): a new engine behind the same endpoint. */
  reconfigure: PairConfig[];
  /** Other listen endpoint: the pair is stopped and started again (its clients reconnect). */
  restart: PairConfig[];
  unchanged: string[];
}

export function planReload(running: readonly PairConfig[], next: readonly PairConfig[]): ReloadPlan {
  const plan: ReloadPlan = { add: [], remove: [], reconfigure: [], restart: [], unchanged: [] };
  const before = new Map(running.map((pair) => [pair.name, pair]));
  const after = new Set(next.map((pair) => pair.name));
  for (const pair of running) if (!after.has(pair.name)) plan.remove.push(pair.name);
  for (const pair of next) {
    const old = before.get(pair.name);
    if (!old) plan.add.push(pair);
    else if (same(old, pair)) plan.unchanged.push(pair.name);
    else if (!same(old.listen, pair.listen)) plan.restart.push(pair);
    else plan.reconfigure.push(pair);
  }
  return plan;
}

/** Configurations are plain data (parsed YAML with defaults applied, keys in schema order). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
