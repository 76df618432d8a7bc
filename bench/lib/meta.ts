/**
 * What a benchmark result was measured on: date, machine, CPU, cores, Node version, git commit
 * (and files changed since: the product is work in progress), load average.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";

export interface RunMeta {
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  machine: {
    hostname: string;
    cpuModel: string;
    cores: number;
    totalMemoryBytes: number;
    platform: string;
  };
  nodeVersion: string;
  git: { commit: string | null; branch: string | null; changedFiles: string[] };
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

function gitState(cwd: string): RunMeta["git"] {
  const git = (...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
  try {
    const changed = git("status", "--porcelain", "--", "src", "bench", "test");
    return {
      commit: git("rev-parse", "HEAD"),
      branch: git("rev-parse", "--abbrev-ref", "HEAD"),
      changedFiles: changed ? changed.split("\n") : [],
    };
  } catch {
    return { commit: null, branch: null, changedFiles: [] };
  }
}

export function startMeta(projectRoot: string): RunMeta {
  return {
    startedAt: new Date().toISOString(),
    machine: {
      hostname: os.hostname(),
      cpuModel: os.cpus()[0]?.model ?? "unknown CPU",
      cores: os.cpus().length,
      totalMemoryBytes: os.totalmem(),
      platform: `${os.platform()} ${os.release()}`,
    },
    nodeVersion: process.version,
    git: gitState(projectRoot),
    loadAverageAtStart: os.loadavg(),
  };
}

export function finishMeta(meta: RunMeta): RunMeta {
  const finished = new Date();
  return {
    ...meta,
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - Date.parse(meta.startedAt),
    loadAverageAtEnd: os.loadavg(),
  };
}

const loads = (l: readonly number[] | undefined) => (l ?? []).map((x) => x.toFixed(2)).join(" ");

/** One line for the report's head. */
export function describeMeta(meta: RunMeta): string {
  const m = meta.machine;
  const commit = meta.git.commit ? meta.git.commit.slice(0, 10) : "no git";
  const dirty = meta.git.changedFiles.length > 0 ? ` + ${meta.git.changedFiles.length} changed file(s)` : "";
  return (
    `${meta.startedAt} · ${m.cpuModel}, ${m.cores} cores, ${(m.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, ` +
    `${m.platform} · node ${meta.nodeVersion} · commit ${commit}${dirty} · load average ${loads(meta.loadAverageAtStart)}`
  );
}

export function describeEnd(meta: RunMeta): string {
  return (
    `Finished ${meta.finishedAt ?? "?"} after ${Math.round((meta.durationMs ?? 0) / 1000)} s; ` +
    `load average at the end ${loads(meta.loadAverageAtEnd)} (${meta.machine.cores} cores, shared ` +
    "with other processes on the machine)."
  );
}
