/**
 * The pair check at gateway start: a pair whose secondary lacks a variable and has one retyped is
 * served anyway, with the differences as warnings in /api/status and in a diagnostics event; and
 * `discover` of the gateway's endpoint shows its transparent redundancy with the upstream servers.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseGatewayConfig } from "../../src/config/load.ts";
import type { DiscoveryResult } from "../../src/discovery/discover.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import { createLogger } from "../../src/log.ts";
import { cli } from "../helpers/cli.ts";
import { openSecurity, rigPkiDir } from "../helpers/gateway-rig.ts";
import { freePort } from "../helpers/ports.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";
import { waitForAsync } from "../helpers/wait.ts";

let sims: SimProcess[] = [];
let gateway: Gateway;

before(async () => {
  sims = await Promise.all([
    spawnSimulator({ bulk: 20 }),
    spawnSimulator({ bulk: 20, omitNodes: ["ns=1;s=Bulk.4"], retypeNodes: ["ns=1;s=Bulk.5"] }),
  ]);
  const config = parseGatewayConfig({
    pairs: [
      {
        name: "line1",
        listen: { port: await freePort(), host: "127.0.0.1" },
        mode: "warm",
        servers: sims.map((s) => ({ url: s.endpointUrl })),
        security: openSecurity,
      },
      {
        // the same servers, without the check at start
        name: "line2",
        listen: { port: await freePort(), host: "127.0.0.1" },
        mode: "warm",
        servers: sims.map((s) => ({ url: s.endpointUrl })),
        security: openSecurity,
        pairCheck: { atStart: false },
      },
    ],
    http: { port: await freePort(), host: "127.0.0.1" },
  });
  gateway = new Gateway({
    config,
    logger: createLogger({ level: "silent" }),
    dataDir: await mkdtemp(join(tmpdir(), "pair-check-gw-")),
    pkiDir: rigPkiDir,
  });
  await gateway.start();
});
after(async () => {
  await gateway?.stop();
  await Promise.all(sims.map((s) => s.dispose()));
});

test("the differences of a pair show in /api/status and as a diagnostics event", async () => {
  const status = await waitForAsync(
    async () => {
      const body = (await (await fetch(`${gateway.httpUrl}/api/status`)).json()) as {
        pairs: {
          name: string;
          active: string | null;
          pairCheck: { interchangeable: boolean; warnings: string[] } | null;
        }[];
      };
      return body.pairs[0]?.pairCheck ? body : undefined;
    },
    30_000,
    "the pair check in /api/status",
  );
  const pair = status.pairs[0]!;
  assert.equal(pair.pairCheck?.interchangeable, false);
  const warnings = pair.pairCheck?.warnings.join("\n") ?? "";
  assert.match(
    warnings,
    /lacks 1 of the primary's \d+ variables and methods \(by NodeId\), e\.g\. ns=1;s=Bulk\.4/,
  );
  assert.match(warnings, /1 differ in DataType, e\.g\. ns=1;s=Bulk\.5: Double, primary Int32/);
  assert.notEqual(pair.active, null, "the pair is served all the same");
  const line2 = status.pairs.find((p) => p.name === "line2");
  assert.equal(line2?.pairCheck, null, "pairCheck.atStart false: no check");
  assert.equal(gateway.pairChecks.has("line2"), false, "and none waiting");
  assert.equal(gateway.pairChecks.has("line1"), true);
  const events = gateway.events.list({ kind: "config" });
  assert.ok(
    events.some((e) => e.pair === "line1" && /not interchangeable/.test(e.message)) &&
      !events.some((e) => e.pair === "line2"),
    JSON.stringify(events),
  );
});

test("discover of the gateway's endpoint suggests the upstream servers as its redundant set", async () => {
  const endpoint = gateway.pairs[0]!.endpointUrl;
  const { code, stdout } = await cli("discover", "--json", endpoint);
  assert.equal(code, 0, stdout);
  const [result] = JSON.parse(stdout) as DiscoveryResult[];
  const facts = result?.servers[0]?.facts;
  assert.equal(facts?.redundancySupport, "Transparent");
  assert.equal(facts?.redundantServerArray.length, 2, JSON.stringify(facts));
});
