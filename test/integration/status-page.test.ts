/**
 * The status page in a real browser (headless Chromium through playwright-core): it shows the
 * pair live, a killed primary's failover appears without reloading or polling, a ServiceLevel
 * change arrives as a `serverFacts` event, a server's last error shows its time and stops being
 * red once the server is connected again, the hot buffer overflow count is shown, the failover
 * button refuses without the token and works with it, and a screenshot is taken.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type BrowserContext, chromium } from "playwright-core";
import { type GatewayRig, startGatewayRig } from "../helpers/gateway-rig.ts";
import { DataType, writeDirect } from "../helpers/opcua.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const TOKEN = "browser-test-token-0123456789";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const UI_TIMEOUT_MS = 20_000;

test("status page: live failover, authenticated failover button, screenshot", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  let rig: GatewayRig | undefined;
  let context: BrowserContext | undefined;
  const profile = await mkdtemp(join(tmpdir(), "status-page-profile-"));
  const shots = await mkdtemp(join(tmpdir(), "status-page-shots-"));
  try {
    rig = await startGatewayRig({
      pairs: [{ mode: "hot", extra: { failback: { policy: "manual", holdMs: 0 } } }],
      http: { auth: { token: TOKEN } },
      awaitPrimary: false,
    });
    const [primary, secondary] = [rig.proxies[0]!.url, rig.proxies[1]!.url];
    // Failback is manual: a pair that started on the secondary (a loaded machine) is moved by hand.
    if (rig.gateway.pairs[0]!.status().activeIndex !== 0) {
      const gateway = rig.gateway;
      await waitFor(
        () => gateway.pairs[0]!.status().servers[0]!.state === "connected",
        UI_TIMEOUT_MS,
        "primary up",
      );
      gateway.failover("pair1", primary);
    }
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const requests: string[] = [];
    page.on("request", (request) => requests.push(new URL(request.url()).pathname));
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));

    await page.goto(rig.gateway.httpUrl!);
    const pair = page.locator('.pair[data-pair="pair1"]');
    await pair.locator(".active").getByText(`active: ${primary}`).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.locator("#connection").textContent(), "live");
    assert.equal(await pair.locator("tr.active-server").getAttribute("data-server"), primary);
    const before = requests.length;

    // The primary dies: the page shows the failover by itself.
    const killed = Date.now();
    await rig.sims[0]!.kill();
    await pair.locator(".active").getByText(`active: ${secondary}`).waitFor({ timeout: UI_TIMEOUT_MS });
    process.stdout.write(`# the page showed the failover ${Date.now() - killed} ms after the kill\n`);
    await page.locator("#events tbody tr.kind-failover").first().waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(
      (await page.locator("#events tbody tr.kind-failover").first().textContent()) ?? "",
      /commLost/,
    );
    // The timeline now has a segment of the secondary's colour.
    await page.locator('.timeline[data-pair="pair1"] rect.c1').first().waitFor({ timeout: UI_TIMEOUT_MS });
    assert.deepEqual(requests.slice(before), [], "no request after load: updates came over the live channel");

    // The dead primary's last error: when it happened, and current (red).
    const primaryError = pair.locator(`tr[data-server="${primary}"] td.last-error`);
    await pair
      .locator(`tr[data-server="${primary}"] td.last-error.current`)
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match((await primaryError.locator(".when").textContent()) ?? "", /\d{1,2}:\d{2}:\d{2}/);
    assert.match(
      (await pair.locator(".summary.overflows").textContent()) ?? "",
      /^hot buffer overflows: \d+$/,
    );

    // A ServiceLevel change reaches the page as a serverFacts event (no request, no JSON diffing).
    const factsBefore = Number((await page.locator("body").getAttribute("data-server-facts")) ?? 0);
    assert.equal(
      await writeDirect(rig.sims[1]!.endpointUrl, "ns=1;s=ServiceLevel", DataType.Byte, 230),
      "Good",
    );
    await pair
      .locator(`tr[data-server="${secondary}"] td:nth-child(6)`)
      .getByText("230", { exact: true })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    const factsAfter = Number((await page.locator("body").getAttribute("data-server-facts")) ?? 0);
    assert.ok(factsAfter > factsBefore, "the change came as a serverFacts event");
    assert.deepEqual(requests.slice(before), [], "still no request");

    // The event log filter.
    await page.selectOption("#filter-kind", "failover");
    const kinds = await page.locator("#events tbody tr td:nth-child(3)").allTextContents();
    assert.ok(kinds.length > 0 && kinds.every((k) => k === "failover"), kinds.join(","));
    await page.selectOption("#filter-kind", "");

    // The primary returns; failback is manual: the operator returns to it with the button.
    await rig.sims[0]!.restart();
    const back = pair.locator(`button.switch[data-to="${primary}"]`);
    await waitFor(
      () => rig!.gateway.pairs[0]!.status().servers[0]!.state === "connected",
      UI_TIMEOUT_MS,
      "the primary connected again",
    );
    await pair
      .locator(`button.switch[data-to="${primary}"]:not([disabled])`)
      .waitFor({ timeout: UI_TIMEOUT_MS });
    // Connected again: its old error is history, with its time, no longer red.
    await pair.locator(`tr[data-server="${primary}"] td.last-error.past`).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await primaryError.getAttribute("class"), "last-error past");
    assert.match((await primaryError.textContent()) ?? "", /\(connected since\)$/);
    await back.click();
    await page
      .locator("#command-result.error")
      .getByText(/authentication required/)
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(rig.gateway.pairs[0]!.status().active, secondary, "no switch without the token");

    await page.fill("#token", TOKEN);
    await page.click('#auth button[type="submit"]');
    await back.click();
    await pair.locator(".active").getByText(`active: ${primary}`).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(rig.gateway.pairs[0]!.status().active, primary);
    assert.equal(await page.locator("#command-result").textContent(), `pair1: active ${primary}`);

    const file = join(shots, "status-page.png");
    await page.screenshot({ path: file, fullPage: true });
    assert.ok((await stat(file)).size > 10_000, "a screenshot with content");
    process.stdout.write(`# screenshot: ${file}\n`);
    assert.deepEqual(errors, [], "no script errors on the page");
  } finally {
    await context?.close();
    await rig?.dispose();
    await rm(profile, { recursive: true, force: true });
  }
});
