/** The per-recipient mail budget (pure) and the notifications schema. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { notificationsSchema } from "../../src/config/schema-notifications.ts";
import { MailBudget } from "../../src/notify/mail-budget.ts";

test("a quiet period's first event is mailed at once; a storm gives at most maxPerWindow mails per window", () => {
  const budget = new MailBudget<number>({ windowMs: 60_000, maxPerWindow: 3 });
  const sent: number[] = [];
  for (let i = 0; i < 50; i++) {
    const offer = budget.offer(i, i * 1000);
    if ("send" in offer) sent.push(offer.send);
  }
  assert.deepEqual(sent, [0, 1], "two singles, the third slot is the digest's");
  assert.equal(budget.dueAt(), 60_000);
  assert.deepEqual(budget.takeDigest(59_999), []);
  const digest = budget.takeDigest(60_000);
  assert.equal(digest.length, 48);
  assert.equal(budget.dueAt(), null);
  // The digest opened a new window: one more single fits before the next digest.
  assert.ok("send" in budget.offer(50, 61_000));
  assert.ok("held" in budget.offer(51, 62_000));
  // A quiet window later, events go at once again.
  budget.takeDigest(120_000);
  assert.ok("send" in budget.offer(52, 200_000));
});

test("maxPerWindow 1: the first mail at once, the rest in the digest", () => {
  const budget = new MailBudget<string>({ windowMs: 1000, maxPerWindow: 1 });
  assert.ok("send" in budget.offer("a", 0));
  assert.ok("held" in budget.offer("b", 10));
  assert.deepEqual(budget.takeDigest(1000), ["b"]);
});

test("notifications schema: host names with dots stay host names; one password source; defaults", () => {
  const config = notificationsSchema.parse({
    smtp: [{ host: "smtp.mail.example.com", auth: { user: "u", passEnv: "SMTP_PASS" } }],
    from: "gw@example.com",
    recipients: [{ address: "ops@example.com" }],
  });
  assert.equal(config.smtp[0]!.host, "smtp.mail.example.com");
  assert.equal(config.smtp[0]!.secure, false);
  assert.deepEqual(config.recipients[0]!.kinds, [
    "failover",
    "allLost",
    "recovered",
    "monitor",
    "certificate",
    "clock",
    "error",
  ]);
  assert.deepEqual(config.digest, { windowMs: 60_000, maxPerWindow: 5 });
  const bad = notificationsSchema.safeParse({
    smtp: [{ host: "h", auth: { user: "u", pass: "p", passEnv: "E" } }],
    from: "not an address",
    recipients: [{ address: "ops@example.com", kinds: ["nonsense"] }],
  });
  assert.equal(bad.success, false);
  const messages = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n");
  assert.match(
    messages,
    /smtp\.0\.auth: expected exactly one of pass, passFile or passEnv, got pass and passEnv/,
  );
  assert.match(messages, /from: expected an e-mail address/);
  assert.match(messages, /recipients\.0\.kinds\.0/);
});
