/** E-mail notifications against real SMTP servers on 127.0.0.1 (the smtp-server package). */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { type NotificationsConfig, notificationsSchema } from "../../src/config/schema-notifications.ts";
import { EventLog } from "../../src/diagnostics/event-log.ts";
import { Notifier } from "../../src/notify/notifier.ts";
import { parseMail, startSmtp, type TestSmtp } from "../helpers/smtp.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PASSWORD = "s3cret-Pa55word";

function config(servers: TestSmtp[], extra: Partial<Record<string, unknown>> = {}): NotificationsConfig {
  return notificationsSchema.parse({
    smtp: servers.map((s) => ({
      host: "127.0.0.1",
      port: s.port,
      auth: { user: "gateway", pass: PASSWORD },
    })),
    from: "gateway@plant.example",
    recipients: [{ address: "ops@plant.example", kinds: ["failover"] }],
    ...extra,
  });
}

/** An event log with a notifier attached, as the gateway wires them. */
function wire(notifications: NotificationsConfig) {
  const log = new EventLog({ maxEvents: 1000 });
  const notifier = new Notifier(notifications, { record: (e) => log.record(e) });
  log.on("event", (e) => notifier.notify(e));
  return { log, notifier };
}

test("two SMTP servers, the first refusing: the mail arrives at the second with the right content", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const refusing = await startSmtp({ refuseAuth: true });
  const accepting = await startSmtp({ credentials: { user: "gateway", pass: PASSWORD } });
  t.after(() => Promise.all([refusing.close(), accepting.close()]));
  const { log, notifier } = wire(config([refusing, accepting]));
  t.after(() => notifier.close());
  await log.open();
  log.record({
    kind: "failover",
    pair: "line1",
    server: "scada-b",
    message: "failover scada-a → scada-b (monitor, 0 ms without an active server): Quality bad",
  });
  await notifier.flush();
  assert.equal(refusing.mails.length, 0);
  assert.equal(accepting.mails.length, 1);
  const mail = accepting.mails[0]!;
  assert.deepEqual(mail.to, ["ops@plant.example"]);
  assert.equal(mail.from, "gateway@plant.example");
  const { headers, subject, body: text } = parseMail(mail.raw);
  assert.ok(!Number.isNaN(Date.parse(headers.date ?? "")), "a Date header");
  assert.match(subject, /^\[opcua-redundancy\] failover line1 scada-b: failover scada-a → scada-b/);
  assert.match(text, /Date and time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
  assert.match(text, /Pair: +line1/);
  assert.match(text, /failover scada-a → scada-b \(monitor/);
  // The refusal is a readable mail event, without the password.
  const mailEvents = log.list({ kind: "mail" });
  assert.ok(
    mailEvents.some((e) =>
      e.message.includes(`SMTP server 127.0.0.1:${refusing.port} did not take the mail`),
    ),
    JSON.stringify(mailEvents),
  );
  assert.ok(mailEvents.some((e) => e.message.includes(`sent through 127.0.0.1:${accepting.port}`)));
  assert.ok(!JSON.stringify(log.list()).includes(PASSWORD), "the password never appears in events");
  assert.match(mailEvents[0]!.message, /535/);
});

test("every recipient gets only the kinds they chose; mail events are never mailed", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const smtp = await startSmtp();
  const dead = await startSmtp();
  await dead.close(); // a port nobody listens on any more
  t.after(() => smtp.close());
  const { log, notifier } = wire(
    config([dead, smtp], {
      recipients: [
        { address: "ops@plant.example", kinds: ["failover", "mail"] },
        { address: "boss@plant.example", kinds: ["allLost"] },
      ],
    }),
  );
  t.after(() => notifier.close());
  await log.open();
  log.record({ kind: "link", pair: "p", message: "link connected → lost" });
  log.record({ kind: "failover", pair: "p", message: "failover A → B" });
  await notifier.flush();
  assert.deepEqual(
    smtp.mails.map((m) => m.to),
    [["ops@plant.example"]],
  );
  assert.ok(log.list({ kind: "mail" }).length >= 1, "the dead server is reported");
  log.record({ kind: "allLost", pair: "p", message: "every server lost" });
  await notifier.flush();
  assert.deepEqual(
    smtp.mails.map((m) => m.to),
    [["ops@plant.example"], ["boss@plant.example"]],
    "mail events (the dead server) were not mailed to ops",
  );
});

test("50 failovers in a minute → a bounded number of mails, the rest in one digest", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const smtp = await startSmtp();
  t.after(() => smtp.close());
  const { log, notifier } = wire(config([smtp], { digest: { windowMs: 3000, maxPerWindow: 5 } }));
  t.after(() => notifier.close());
  await log.open();
  for (let i = 0; i < 50; i++) log.record({ kind: "failover", pair: "p", message: `failover number ${i}` });
  await notifier.flush();
  assert.equal(smtp.mails.length, 4, "4 single mails, the window's last slot kept for the digest");
  const digest = await waitFor(() => smtp.mails[4], 15_000, "the digest at the window's end");
  const { subject, body: text } = parseMail(digest.raw);
  assert.match(subject, /^\[opcua-redundancy\] digest: 46 events \(failover\)/);
  assert.match(text, /failover number 4$/m);
  assert.match(text, /failover number 49$/m);
  await notifier.flush();
  assert.equal(smtp.mails.length, 5, "50 events, 5 mails");
});

test("test-email --config sends a test message through the first SMTP server that accepts", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const refusing = await startSmtp({ refuseAuth: true });
  const accepting = await startSmtp();
  t.after(() => Promise.all([refusing.close(), accepting.close()]));
  const dir = await mkdtemp(join(tmpdir(), "test-email-"));
  const file = join(dir, "gateway.yaml");
  await writeFile(
    file,
    [
      "pairs:",
      "  - { name: p, listen: { port: 4841 }, servers: [{ url: 'opc.tcp://127.0.0.1:4840' }] }",
      "notifications:",
      "  smtp:",
      `    - { host: 127.0.0.1, port: ${refusing.port}, auth: { user: gateway, passEnv: TEST_SMTP_PASS } }`,
      `    - { host: 127.0.0.1, port: ${accepting.port} }`,
      "  from: gateway@plant.example",
      "  recipients: [{ address: ops@plant.example }]",
      "",
    ].join("\n"),
  );
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "src/cli/main.ts"), "test-email", "--config", file],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, TEST_SMTP_PASS: PASSWORD },
    },
  );
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    output += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    output += c;
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  assert.equal(code, 0, output);
  assert.match(output, new RegExp(`127.0.0.1:${refusing.port}: failed: .*535`));
  assert.match(output, new RegExp(`sent through 127.0.0.1:${accepting.port}`));
  assert.ok(!output.includes(PASSWORD));
  assert.equal(accepting.mails.length, 1);
  assert.match(parseMail(accepting.mails[0]!.raw).body, /This is a test e-mail from opcua-redundancy/);
});
