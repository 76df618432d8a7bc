/**
 * The configuration page in a real browser (headless Chromium through playwright-core): an
 * operator signs in, picks a monitor item from the active upstream's tree, discovers a server,
 * creates a pair from the form (a wrong URL shown at its field first), saves: the YAML keeps its
 * comments, a backup is written, the new pair runs, and the running pair's downstream session and
 * upstream clients are untouched. Unauthenticated and read-role requests are refused.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AttributeIds } from "node-opcua";
import { type BrowserContext, chromium } from "playwright-core";
import { loadConfigFile } from "../../src/config/load.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import { createLogger } from "../../src/log.ts";
import { hashPassword } from "../../src/security/password-hash.ts";
import { connectDownstream, type Downstream, rigPkiDir } from "../helpers/gateway-rig.ts";
import { freePort } from "../helpers/ports.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";
import { startSmtp } from "../helpers/smtp.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const UI_TIMEOUT_MS = 20_000;
const TOKEN = "config-page-token-0123456789";
const OPERATOR = { name: "op", password: "operator-password" };
const VIEWER = { name: "viewer", password: "viewer-password" };

let sims: SimProcess[] = [];
let gateway: Gateway;
let dir: string;
let file: string;
let downstream: Downstream;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "config-page-"));
  file = join(dir, "gateway.yaml");
  sims = await Promise.all([spawnSimulator({ tickMs: 50 }), spawnSimulator({ tickMs: 50 })]);
  const [listen, http] = [await freePort(), await freePort()];
  await writeFile(
    file,
    `# The plant's gateway (a comment the page must keep).
pairs:
  - name: line1 # the first line
    listen: { port: ${listen}, host: 127.0.0.1 }
    mode: warm # warm: sessions to both servers
    servers:
      - url: ${sims[0]!.endpointUrl} # primary
      - url: ${sims[1]!.endpointUrl}
    statusQuery: { intervalMs: 250, timeoutMs: 1000 }
    security: # test pair: None and anonymous, plus the page's users
      allowNone: true
      anonymous: true
      users:
        - { name: ${OPERATOR.name}, passwordHash: "${await hashPassword(OPERATOR.password)}", role: operate }
        - { name: ${VIEWER.name}, passwordHash: "${await hashPassword(VIEWER.password)}", role: read }
http:
  port: ${http}
  host: 127.0.0.1
  auth: { token: ${TOKEN} } # tests only: a token in the file
`,
  );
  gateway = new Gateway({
    config: await loadConfigFile(file),
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    dataDir: join(dir, "data"),
    pkiDir: rigPkiDir,
    configFile: file,
  });
  await gateway.start();
  await waitFor(
    () => gateway.pairs[0]?.status().activeIndex === 0 && gateway.pairs[0].mirrored,
    30_000,
    "line1 active",
  );
  downstream = await connectDownstream(gateway.pairs[0]!.endpointUrl);
});
after(async () => {
  await downstream?.close();
  await gateway?.stop();
  await Promise.all(sims.map((s) => s.dispose()));
  await rm(dir, { recursive: true, force: true });
});

function basic(user: { name: string; password: string }): string {
  return `Basic ${Buffer.from(`${user.name}:${user.password}`).toString("base64")}`;
}

test("unauthenticated, wrong and read-role requests are refused, the token and an operator are not", async () => {
  const api = `${gateway.httpUrl}/api/config`;
  assert.equal((await fetch(api)).status, 401);
  assert.equal(
    (await fetch(api, { headers: { authorization: basic({ ...OPERATOR, password: "wrong" }) } })).status,
    401,
  );
  assert.equal((await fetch(api, { headers: { authorization: basic(VIEWER) } })).status, 403);
  const save = await fetch(api, {
    method: "POST",
    headers: { authorization: basic(VIEWER), "content-type": "application/json" },
    body: JSON.stringify({ value: { pairs: [] } }),
  });
  assert.equal(save.status, 403);
  assert.equal((await fetch(api, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  assert.equal((await fetch(api, { headers: { authorization: basic(OPERATOR) } })).status, 200);
});

test("a new pair from the form: field error, monitor picked from the tree, saved with comments, line1 untouched", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const line1 = gateway.pairs[0]!;
  const line1Client = line1.client;
  const counter = await downstream.record("ns=1;s=Counter");
  const profile = await mkdtemp(join(tmpdir(), "config-page-profile-"));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.setDefaultTimeout(UI_TIMEOUT_MS);

    await page.goto(gateway.httpUrl!);
    await page.click("#config-link");
    await page.fill("#login-user", OPERATOR.name);
    await page.fill("#login-secret", OPERATOR.password);
    await page.click('#login button[type="submit"]');
    await page.locator('fieldset.pair-form[data-pair="line1"]').waitFor();
    await waitFor(
      () => gateway.pairs[0] && gateway.statuses()[0]?.pairCheck,
      30_000,
      "line1's pair check at start",
    );
    await page
      .locator('fieldset[data-pair="line1"] .start-check')
      .getByText("pair check at start: interchangeable")
      .waitFor();

    // Pick a monitor item from line1's active upstream (tree, then search), then drop it again.
    await page.click('fieldset[data-pair="line1"] button.add-monitor');
    await page.click('[data-path="pairs[0].monitors[0]"] button.pick');
    await page.locator('#picker-tree li[data-node-id="ns=1;s=Simulation"] > button.expand').click();
    await page.locator('#picker-tree li[data-node-id="ns=1;s=Counter"] > button.pick').click();
    assert.equal(await page.inputValue('input[data-path="pairs[0].monitors[0].nodeId"]'), "ns=1;s=Counter");
    await page.click('[data-path="pairs[0].monitors[0]"] button.pick');
    await page.fill("#picker-search", "Sine");
    await page.locator('#picker-tree li[data-node-id="ns=1;s=Sine"]').waitFor();
    await page.click('#picker-form button[value="cancel"]');
    await page.click('[data-path="pairs[0].monitors[0]"] button:text("Remove")');

    // A new pair with a wrong URL: the problem shows at that field.
    await page.click("#add-pair");
    await page.fill('input[data-path="pairs[1].name"]', "line2");
    await page.fill('input[data-path="pairs[1].listen.port"]', String(await freePort()));
    await page.fill('input[data-path="pairs[1].listen.host"]', "127.0.0.1");
    await page.fill('input[data-path="pairs[1].servers[0].url"]', "http://not-opc-ua");
    await page.fill('input[data-path="pairs[1].servers[1].url"]', sims[1]!.endpointUrl);
    await page.click("#validate");
    const fieldError = page.locator('label:has(input[data-path="pairs[1].servers[0].url"]) + .field-error');
    await fieldError.waitFor();
    assert.match((await fieldError.textContent()) ?? "", /opc\.tcp/);

    await page.fill('input[data-path="pairs[1].servers[0].url"]', sims[0]!.endpointUrl);
    await page.click('[data-path="pairs[1].servers[0]"] button.discover');
    await page
      .locator('[data-path="pairs[1].servers[0]"] .discovery')
      .getByText(/urn:opcua-redundancy:simulator/)
      .waitFor();
    await page.click('fieldset[data-pair="line1"] button.check-pair');
    await page
      .locator('fieldset[data-pair="line1"] .check')
      .getByText(/^interchangeable/)
      .waitFor();
    // the new pair's own settings the form has no field for are written in the file too
    await page.click("#save");
    await page
      .locator("#result")
      .getByText(/^saved/)
      .waitFor();
    assert.deepEqual(errors, [], "no script errors on the page");
  } finally {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
  }

  const yaml = await readFile(file, "utf8");
  for (const comment of [
    "# The plant's gateway",
    "# the first line",
    "# warm: sessions to both servers",
    "# primary",
    "# tests only",
  ])
    assert.ok(yaml.includes(comment), `kept: ${comment}\n${yaml}`);
  assert.match(yaml, /name: line2/);
  assert.match(await readFile(`${file}.bak`, "utf8"), /^# The plant's gateway/);
  assert.equal((await loadConfigFile(file)).pairs.length, 2, "the saved file is valid");

  await waitFor(() => gateway.pairs[1]?.status().active != null, 30_000, "line2 running");
  assert.equal(gateway.pairs[0], line1, "line1's server object kept");
  assert.equal(gateway.pairs[0]!.client, line1Client, "line1's upstream clients kept");
  const seen = counter.values.length;
  await waitFor(() => counter.values.length > seen + 3, 10_000, "line1's values keep coming");
  const [read] = await downstream.session.read([
    { nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value },
  ]);
  assert.ok(read?.statusCode.isGood(), "line1's downstream session still works");
  const saved = gateway.events.list({ kind: "config" }).find((e) => /saved by op/.test(e.message));
  assert.ok(saved, "a diagnostics event names who saved");
  assert.match(saved.message, /added \[line2\]/);
});

test("an operator sends a test e-mail through the notifications being edited", async () => {
  const smtp = await startSmtp();
  try {
    const headers = { authorization: basic(OPERATOR), "content-type": "application/json" };
    const current = (await (await fetch(`${gateway.httpUrl}/api/config`, { headers })).json()) as {
      value: Record<string, unknown>;
    };
    const value = {
      ...current.value,
      notifications: {
        smtp: [{ host: "127.0.0.1", port: smtp.port }],
        from: "gateway@plant.example",
        recipients: [{ address: "ops@plant.example" }],
      },
    };
    const response = await fetch(`${gateway.httpUrl}/api/config/test-email`, {
      method: "POST",
      headers,
      body: JSON.stringify({ value }),
    });
    const body = (await response.json()) as { ok: boolean };
    assert.equal(body.ok, true, JSON.stringify(body));
    assert.deepEqual(
      smtp.mails.map((m) => m.to),
      [["ops@plant.example"]],
    );
    assert.ok(
      gateway.events.list({ kind: "mail" }).some((e) => /test e-mail requested by op/.test(e.message)),
    );
    assert.doesNotMatch(await readFile(file, "utf8"), /ops@plant/, "a test e-mail saves nothing");
  } finally {
    await smtp.close();
  }
});

test("inline secrets never reach the page, and saving what the page sent keeps them in the file", async () => {
  const headers = { authorization: basic(OPERATOR), "content-type": "application/json" };
  const response = await fetch(`${gateway.httpUrl}/api/config`, { headers });
  const text = await response.text();
  assert.doesNotMatch(text, new RegExp(TOKEN), "the API token is not sent to the browser");
  const current = JSON.parse(text) as { value: Record<string, unknown>; yaml: string };
  assert.match(current.yaml, /\(secret kept in the file\)/);
  const validated = await fetch(`${gateway.httpUrl}/api/config/validate`, {
    method: "POST",
    headers,
    body: JSON.stringify({ value: current.value }),
  });
  assert.deepEqual(await validated.json(), { ok: true, issues: [] });
  const saved = await fetch(`${gateway.httpUrl}/api/config`, {
    method: "POST",
    headers,
    body: JSON.stringify({ value: current.value }),
  });
  assert.equal(saved.status, 200, await saved.clone().text());
  assert.match(await readFile(file, "utf8"), new RegExp(`token: ${TOKEN}`), "the file keeps its token");
  assert.equal(
    (await fetch(`${gateway.httpUrl}/api/config`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    200,
    "the token still opens the API after the save",
  );
});
