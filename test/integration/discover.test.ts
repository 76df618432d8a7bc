/**
 * `opcua-redundancy discover` against real servers: a simulator, node-opcua's Local Discovery
 * Server with a server registered on it, and a port where nothing listens.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { DiscoveryResult } from "../../src/discovery/discover.ts";
import { cli } from "../helpers/cli.ts";
import { startLdsWithServer, type TestLds } from "../helpers/lds.ts";
import { freePort } from "../helpers/ports.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";

let sim: SimProcess;
let lds: TestLds;

before(async () => {
  [sim, lds] = await Promise.all([spawnSimulator({}), startLdsWithServer()]);
});
after(async () => {
  await Promise.all([sim?.dispose(), lds?.stop()]);
});

test("discover prints a server's endpoints, state, ServiceLevel, namespaces and limits", async () => {
  const { code, stdout } = await cli("discover", sim.endpointUrl);
  assert.equal(code, 0);
  assert.match(stdout, /ApplicationUri: urn:opcua-redundancy:simulator\n/);
  assert.match(stdout, /None\/None \(level \d+\) users: Anonymous/);
  assert.match(stdout, /ServerState: Running {3}ServiceLevel: 255/);
  assert.match(stdout, /RedundancySupport: None/);
  assert.match(stdout, /2: urn:opcua-redundancy:simulator:alpha/);
  assert.match(stdout, /Operation limits: .*MaxNodesPerRead=10000/);
});

test("discover --json through an LDS lists the registered server with its facts", async () => {
  const { code, stdout } = await cli("discover", "--json", lds.url, sim.endpointUrl);
  assert.equal(code, 0);
  const [viaLds, direct] = JSON.parse(stdout) as DiscoveryResult[];
  assert.equal(viaLds?.isDiscoveryServer, true);
  const registered = viaLds?.servers.find((s) => s.applicationUri === "urn:opcua-redundancy:test:registered");
  assert.ok(registered, `registered server listed: ${JSON.stringify(viaLds)}`);
  assert.equal(registered.facts?.serverState, "Running");
  assert.ok(registered.endpoints.length > 0);
  assert.equal(direct?.isDiscoveryServer, false);
  assert.deepEqual(direct?.servers[0]?.facts?.namespaceArray.slice(0, 2), [
    "http://opcfoundation.org/UA/",
    "urn:opcua-redundancy:simulator",
  ]);
});

test("discover of a port where nothing listens says so and exits 69", async () => {
  const url = `opc.tcp://127.0.0.1:${await freePort()}`;
  const { code, stdout } = await cli("discover", url);
  assert.equal(code, 69);
  assert.match(stdout, new RegExp(`${url}: unreachable`));
});

test("discover without a URL is a usage error", async () => {
  const { code, stderr } = await cli("discover");
  assert.equal(code, 64);
  assert.match(stderr, /expected at least one URL/);
});
