/**
 * The gateway's diagnostics event log and e-mail: a link-based failover recorded in memory and in
 * the file, mailed through a real SMTP server; the log survives a gateway restart; an unwritable
 * log file leaves the gateway running with its events in memory.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseGatewayConfig } from "../../src/config/load.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import { createLogger } from "../../src/log.ts";
import { startGatewayRig } from "../helpers/gateway-rig.ts";
import { DataType, writeDirect } from "../helpers/opcua.ts";
import { parseMail, startSmtp } from "../helpers/smtp.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

test("a link-based failover is logged, persisted, mailed, and still shown after a restart", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const smtp = await startSmtp();
  t.after(() => smtp.close());
  const dir = await mkdtemp(join(tmpdir(), "gateway-diagnostics-"));
  const file = join(dir, "log", "events.jsonl");
  const rig = await startGatewayRig({
    pairs: [{ mode: "hot", extra: { monitors: [{ nodeId: "ns=1;s=Counter", badQuality: true }] } }],
    config: {
      diagnostics: { file, maxEvents: 1000 },
      notifications: {
        smtp: [{ host: "127.0.0.1", port: smtp.port }],
        from: "gateway@plant.example",
        recipients: [{ address: "ops@plant.example", kinds: ["failover"] }],
      },
    },
  });
  let disposed = false;
  t.after(() => (disposed ? undefined : rig.dispose()));
  const { gateway } = rig;
  assert.ok(gateway.events.list({ kind: "link" }).length >= 2, "link events of the start");
  assert.equal(gateway.events.file, file);
  // On a loaded machine the pair may have started on the secondary and failed back: only what follows counts.
  // The rig waits for the primary only: a failover (not allLost, then recovered) needs the secondary up.
  await waitFor(
    () => gateway.pairs[0]!.status().servers.every((s) => s.state === "connected"),
    30_000,
    "both servers connected",
  );
  const before = gateway.events.list().at(-1)!.seq;
  const faultAt = Date.now();
  assert.equal(
    await writeDirect(rig.sims[0]!.endpointUrl, "ns=1;s=Quality", DataType.Boolean, false),
    "Good",
  );
  const failover = await waitFor(
    () => gateway.events.list({ kind: "failover", since: before })[0],
    10_000,
    "the failover event",
  );
  t.diagnostic(`failover event ${Date.parse(failover.at) - faultAt} ms after Quality false`);
  assert.equal(failover.pair, "pair1");
  assert.match(failover.message, /failover .* → .* \(monitor, 0 ms without an active server\)/);
  assert.equal((failover.details as { reason: string }).reason, "monitor");
  const trigger = gateway.events
    .list({ kind: "monitor" })
    .find((e) => /ns=1;s=Counter failing/.test(e.message));
  assert.ok(trigger, JSON.stringify(gateway.events.list({ kind: "monitor" })));
  assert.match(trigger.message, /status BadNoCommunication/);

  const mail = await waitFor(
    () => smtp.mails.find((m) => parseMail(m.raw).body.includes(failover.message)),
    15_000,
    "the failover mail",
  );
  const { subject, body } = parseMail(mail.raw);
  assert.match(subject, /failover pair1/);
  assert.match(body, /Date and time: /);
  assert.ok(body.includes(failover.message), body);

  await gateway.events.flush();
  const persisted = (await readFile(file, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { seq: number });
  assert.ok(persisted.some((e) => e.seq === failover.seq));
  const lastSeq = gateway.events.list().at(-1)!.seq;

  // Restart: the old events are shown, the new ones are appended with higher numbers.
  disposed = true;
  await rig.gateway.stop();
  const again = new Gateway({
    config: parseGatewayConfig({
      pairs: rig.gateway.pairs.map((p) => p.client.config),
      diagnostics: { file, maxEvents: 1000 },
    }),
    logger: createLogger({ level: "silent" }),
    dataDir: rig.dataDir,
  });
  t.after(async () => {
    await again.stop();
    await rig.dispose();
  });
  await again.start();
  assert.ok(again.events.list({ kind: "failover" }).some((e) => e.seq === failover.seq));
  await waitFor(
    () => again.events.list({ since: lastSeq }).length > 0,
    10_000,
    "new events after the restart",
  );
  assert.ok(again.events.list({ since: lastSeq }).every((e) => e.seq > lastSeq));
});

test("an unwritable log file → memory only with an error event; the gateway keeps running", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "gateway-diagnostics-"));
  const notADirectory = join(dir, "plain-file");
  await writeFile(notADirectory, "x");
  const rig = await startGatewayRig({
    pairs: [{ mode: "hot" }],
    config: { diagnostics: { file: join(notADirectory, "events.jsonl"), maxEvents: 100 } },
  });
  t.after(() => rig.dispose());
  const { gateway } = rig;
  assert.equal(gateway.events.file, null);
  assert.match(gateway.events.list({ kind: "error" })[0]!.message, /events are kept in memory only/);
  // The rig waits for the primary only: a failover (not allLost, then recovered) needs the secondary up.
  await waitFor(
    () => gateway.pairs[0]!.status().servers.every((s) => s.state === "connected"),
    30_000,
    "both servers connected",
  );
  const before = gateway.events.list().at(-1)!.seq;
  await rig.sims[0]!.kill();
  const failover = await waitFor(
    () => gateway.events.list({ kind: "failover", since: before })[0],
    10_000,
    "the failover event",
  ).catch((error: unknown) => {
    const seen = gateway.events.list({ since: before }).map((e) => `${e.kind} ${e.server}: ${e.message}`);
    throw new Error(`${String(error)}; events since the kill:\n${seen.join("\n")}`);
  });
  assert.match(failover.message, /commLost/);
  assert.equal(gateway.pairs[0]!.status().activeIndex, 1);
});
