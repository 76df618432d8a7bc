/** The diagnostics event log: memory bound, file persistence across restarts, degraded modes. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { DiagnosticEvent } from "../../src/diagnostics/event.ts";
import { EventLog } from "../../src/diagnostics/event-log.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "event-log-"));
}

async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "src", "cli", "main.ts"), ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stdout, stderr };
}

test("memory keeps maxEvents, the newest; list filters by pair, server, kind, since and limit", async () => {
  const log = new EventLog({ maxEvents: 5 });
  await log.open();
  const live: DiagnosticEvent[] = [];
  log.on("event", (e) => live.push(e));
  for (let i = 0; i < 8; i++) {
    log.record({
      kind: i % 2 === 0 ? "failover" : "link",
      pair: i < 4 ? "a" : "b",
      server: `s${i % 3}`,
      message: `event ${i}`,
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    });
  }
  assert.equal(live.length, 8, "every event reaches live followers");
  assert.deepEqual(
    log.list().map((e) => e.seq),
    [4, 5, 6, 7, 8],
  );
  assert.deepEqual(
    log.list({ pair: "b", kind: "failover" }).map((e) => e.message),
    ["event 4", "event 6"],
  );
  assert.deepEqual(
    log.list({ server: "s0" }).map((e) => e.message),
    ["event 3", "event 6"],
  );
  assert.deepEqual(
    log.list({ since: "2026-01-01T00:00:06.000Z" }).map((e) => e.seq),
    [7, 8],
  );
  assert.deepEqual(
    log.list({ since: 6 }).map((e) => e.seq),
    [7, 8],
    "a small number is a seq",
  );
  assert.deepEqual(
    log.list({ limit: 2 }).map((e) => e.seq),
    [7, 8],
  );
  assert.equal(log.list()[0]!.at, "2026-01-01T00:00:03.000Z");
});

test("events survive a restart: old ones shown, new ones appended, numbers never reused", async () => {
  const file = join(await tempDir(), "sub", "events.jsonl");
  const first = new EventLog({ file, maxEvents: 100 });
  first.record({ kind: "config", message: "before open" });
  await first.open();
  first.record({ kind: "failover", pair: "line1", server: "A", message: "A → B" });
  await first.flush();
  assert.equal(first.file, file);

  // A crash in mid-write leaves a torn last line: it is skipped, and the next line starts fresh.
  await writeFile(file, `${await readFile(file, "utf8")}{"seq":99,"at":"2026`, "utf8");
  const second = new EventLog({ file, maxEvents: 100 });
  await second.open();
  assert.deepEqual(
    second.list().map((e) => [e.seq, e.message]),
    [
      [1, "before open"],
      [2, "A → B"],
    ],
  );
  const added = second.record({ kind: "recovered", pair: "line1", message: "back" });
  assert.equal(added.seq, 3);
  await second.flush();
  const third = new EventLog({ file, maxEvents: 100 });
  await third.open();
  assert.deepEqual(
    third.list().map((e) => e.seq),
    [1, 2, 3],
  );
});

test("the file is compacted to maxEvents when it grows past twice that", async () => {
  const file = join(await tempDir(), "events.jsonl");
  const log = new EventLog({ file, maxEvents: 10 });
  await log.open();
  for (let i = 0; i < 25; i++) log.record({ kind: "link", message: `e${i}` });
  await log.flush();
  const lines = (await readFile(file, "utf8")).trim().split("\n");
  assert.ok(lines.length <= 20, `${lines.length} lines`);
  const reopened = new EventLog({ file, maxEvents: 10 });
  await reopened.open();
  assert.deepEqual(
    reopened.list().map((e) => e.seq),
    [16, 17, 18, 19, 20, 21, 22, 23, 24, 25],
  );
});

test("an unwritable file → memory only, with an error event; recording never throws", async () => {
  const dir = await tempDir();
  const parentIsFile = join(dir, "plain-file");
  await writeFile(parentIsFile, "x");
  const log = new EventLog({ file: join(parentIsFile, "events.jsonl"), maxEvents: 10 });
  await log.open();
  assert.equal(log.file, null);
  const [error] = log.list({ kind: "error" });
  assert.match(error!.message, /cannot be written \(E(NOTDIR|EXIST)\): events are kept in memory only/);
  log.record({ kind: "failover", message: "still recorded" });
  await log.flush();
  assert.equal(log.list({ kind: "failover" }).length, 1);

  if (process.getuid?.() !== 0) {
    // A read-only directory (root ignores permissions, so only checked as another user).
    const readOnly = join(dir, "ro");
    await mkdir(readOnly);
    await chmod(readOnly, 0o500);
    const ro = new EventLog({ file: join(readOnly, "events.jsonl"), maxEvents: 10 });
    await ro.open();
    assert.equal(ro.file, null);
  }
});

test("a file that turns unwritable after start → memory only with one event", async () => {
  const dir = await tempDir();
  const file = join(dir, "events.jsonl");
  const log = new EventLog({ file, maxEvents: 10 });
  await log.open();
  log.record({ kind: "link", message: "written" });
  await log.flush();
  // Replace the file by a directory: the next append fails with EISDIR.
  const { rm } = await import("node:fs/promises");
  await rm(file);
  await mkdir(file);
  log.record({ kind: "link", message: "not written" });
  await log.flush();
  assert.equal(log.file, null);
  assert.equal(log.list({ kind: "error" }).length, 1);
  log.record({ kind: "link", message: "memory only" });
  assert.equal(log.list({ kind: "link" }).length, 3);
});

test("CLI events: prints, filters and exports the log file", async () => {
  const dir = await tempDir();
  const file = join(dir, "events.jsonl");
  const log = new EventLog({ file, maxEvents: 100 });
  await log.open();
  log.record({ kind: "failover", pair: "line1", server: "B", message: "failover A → B (commLost)" });
  log.record({ kind: "link", pair: "line2", server: "C", message: "link connected → lost" });
  await log.flush();

  const all = await cli(["events", "--file", file]);
  assert.equal(all.code, 0, all.stderr);
  const lines = all.stdout.trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(
    lines[0]!,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}#1 {2}failover {2}line1 B: failover A → B \(commLost\)$/,
  );

  const filtered = await cli(["events", "--file", file, "--pair", "line2", "--kind", "link"]);
  assert.equal(filtered.stdout.trim().split("\n").length, 1);
  assert.match(filtered.stdout, /line2 C: link connected → lost/);

  const out = join(dir, "export.txt");
  const exported = await cli(["events", "--file", file, "--export", out]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stderr, /exported 2 event\(s\)/);
  assert.equal(await readFile(out, "utf8"), all.stdout);

  assert.equal((await cli(["events", "--file", join(dir, "missing.jsonl")])).code, 66);
  assert.equal((await cli(["events", "--file", file, "--kind", "nonsense"])).code, 64);
});

test("CLI events --follow prints new events as they are written", async () => {
  const { waitFor } = await import("../helpers/wait.ts");
  const file = join(await tempDir(), "events.jsonl");
  const log = new EventLog({ file, maxEvents: 100 });
  await log.open();
  log.record({ kind: "state", pair: "p", message: "old one" });
  await log.flush();
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(root, "src", "cli", "main.ts"),
      "events",
      "--file",
      file,
      "--follow",
      "--kind",
      "failover",
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  try {
    // The follower starts (tsx compiles) while events keep coming.
    await waitFor(
      () => {
        log.record({ kind: "failover", pair: "p", message: "live failover" });
        return stdout.includes("live failover");
      },
      30_000,
      "the follower to print a new failover",
    );
    assert.ok(!stdout.includes("old one"), "the kind filter applies");
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal(await exited, 0);
});
