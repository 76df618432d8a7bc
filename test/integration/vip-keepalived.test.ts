/**
 * The virtual-IP path for clients that know no redundancy (issue 19 point 3), for real: two gateway
 * instances, each in a network namespace with its own shared-clock simulators, keepalived (Debian's,
 * installed by .ci/run) in each namespace holding a VIP with `opcua-redundancy health` as its
 * track_script, and a plain node-opcua client in a third namespace subscribed through the VIP.
 * SIGKILL of the instance holding the VIP → the health check fails, keepalived moves the VIP, the
 * client reconnects, makes a new session and re-subscribes: the gap (seconds, values) is measured.
 *
 * Everything lives in namespaces the test creates (a bridge namespace and three hosts on
 * 10.219.19.0/24) and removes afterwards; nothing is added to the machine's own network. Skipped
 * where it cannot run (not root, no `ip netns`, no keepalived).
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { stringify } from "yaml";
import { root } from "../helpers/gateway-process.ts";
import { delay, waitFor, waitForAsync } from "../helpers/wait.ts";

const node = join(root, "node_modules", ".bin", "node");
const id = String(process.pid % 100_000);
const NS = { lan: `o19l${id}`, a: `o19a${id}`, b: `o19b${id}`, c: `o19c${id}` };
const SUBNET = "10.219.19";
const HOSTS = { a: `${SUBNET}.11`, b: `${SUBNET}.12`, c: `${SUBNET}.13` };
const VIP = `${SUBNET}.100`;
const TICK_MS = 20;

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();

function cannotRun(): string | null {
  if (process.getuid?.() !== 0) return "needs root (network namespaces)";
  for (const tool of ["/usr/sbin/keepalived", "/usr/sbin/ip"])
    if (!existsSync(tool)) return `${tool} is not installed (.ci/run installs keepalived)`;
  return null;
}

function createNetwork(): void {
  for (const ns of Object.values(NS)) ip("netns", "add", ns);
  ip("-n", NS.lan, "link", "add", "br0", "type", "bridge");
  ip("-n", NS.lan, "link", "set", "br0", "up");
  for (const host of ["a", "b", "c"] as const) {
    const ns = NS[host];
    ip("-n", NS.lan, "link", "add", `p${host}`, "type", "veth", "peer", "name", "eth0", "netns", ns);
    ip("-n", NS.lan, "link", "set", `p${host}`, "master", "br0", "up");
    ip("-n", ns, "addr", "add", `${HOSTS[host]}/24`, "dev", "eth0");
    ip("-n", ns, "link", "set", "eth0", "up");
    ip("-n", ns, "link", "set", "lo", "up");
  }
}

function removeNetwork(): void {
  for (const ns of Object.values(NS)) {
    try {
      ip("netns", "del", ns);
    } catch {
      // not created
    }
  }
}

const children: ChildProcess[] = [];
/** Runs `command` inside namespace `ns`; output kept for failure messages. */
function inNamespace(ns: string, command: string[]) {
  const child = spawn("ip", ["netns", "exec", ns, ...command], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return { child, output: () => output };
}
const cliIn = (ns: string, args: string[]) =>
  inNamespace(ns, [node, "--import", "tsx", join("src", "cli", "main.ts"), ...args]);

function keepalivedConfig(host: "a" | "b", priority: number): string {
  const health = `${node} ${join(root, "bin", "opcua-redundancy.js")} health --url http://127.0.0.1:8080 --timeout-ms 1500 --quiet`;
  return `global_defs {
  router_id gateway_${host}
  script_user root
}
vrrp_script gateway_health {
  script "${health}"
  interval 1
  timeout 3
  fall 1
  rise 2
}
vrrp_instance gateway {
  state BACKUP
  interface eth0
  virtual_router_id 19
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24 dev eth0
  }
  track_script {
    gateway_health
  }
}
`;
}

async function startInstance(host: "a" | "b", dir: string) {
  const ns = NS[host];
  // One upstream per instance is enough here (what is measured is the instance failover); its
  // shared clock makes both instances' Counters agree, as two servers reading one device.
  cliIn(ns, ["simulate", "--port", "48401", "--tick-ms", String(TICK_MS), "--shared-clock"]);
  const peers = (["a", "b"] as const).map((h) => ({
    name: `gw-${h}`,
    applicationUri: `urn:test:gw-${h}:opcua-redundancy`,
    host: HOSTS[h],
  }));
  const config = {
    pairs: [
      {
        name: "line1",
        listen: { port: 4841, host: "0.0.0.0" },
        mode: "hot",
        servers: [{ url: "opc.tcp://127.0.0.1:48401" }],
        statusQuery: { intervalMs: 250, timeoutMs: 1000 },
        // the plain test client connects without security
        security: { allowNone: true, anonymous: true },
      },
    ],
    http: { port: 8080, host: "127.0.0.1" },
    redundantSet: { self: `gw-${host}`, peers },
  };
  const file = join(dir, `gateway-${host}.yaml`);
  await writeFile(file, stringify(config));
  const gateway = cliIn(ns, ["start", "--config", file, "--data-dir", join(dir, host)]);
  return gateway;
}

/** keepalived in `host`'s namespace, once its gateway is healthy (its first check then succeeds). */
async function startKeepalived(host: "a" | "b", dir: string) {
  const keepalivedFile = join(dir, `keepalived-${host}.conf`);
  await writeFile(keepalivedFile, keepalivedConfig(host, host === "a" ? 150 : 100));
  return inNamespace(NS[host], [
    "keepalived",
    "--dont-fork",
    "--log-console",
    "--vrrp",
    "--use-file",
    keepalivedFile,
    "--pid",
    join(dir, `keepalived-${host}.pid`),
    "--vrrp_pid",
    join(dir, `vrrp-${host}.pid`),
  ]);
}

const holdsVip = (ns: string) => ip("-n", ns, "addr", "show", "dev", "eth0").includes(`${VIP}/`);

test("VIP with keepalived: SIGKILL of the instance holding it moves it; a plain client's gap measured", {
  timeout: 180_000,
}, async (t) => {
  const reason = cannotRun();
  if (reason) {
    t.skip(reason);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "vip-test-"));
  removeNetwork();
  try {
    createNetwork();
    const started = Date.now();
    const gateways = await Promise.all([startInstance("a", dir), startInstance("b", dir)]);
    for (const [i, host] of (["a", "b"] as const).entries()) {
      const healthy = async () => {
        const check = cliIn(NS[host], ["health", "--url", "http://127.0.0.1:8080", "--quiet"]);
        const [code] = (await once(check.child, "exit")) as [number | null];
        return code === 0;
      };
      await waitForAsync(healthy, 90_000, `gateway ${host} healthy`).catch((error) => {
        throw new Error(`${error.message}\n${gateways[i]!.output().slice(-3000)}`);
      });
    }
    t.diagnostic(`both gateways healthy ${Date.now() - started} ms after start`);
    const a = { gateway: gateways[0]!, keepalived: await startKeepalived("a", dir) };
    await startKeepalived("b", dir);
    await waitFor(() => holdsVip(NS.a), 30_000, "the VIP on instance a").catch((error) => {
      throw new Error(`${error.message}\n${a.keepalived.output().slice(-3000)}`);
    });
    assert.ok(!holdsVip(NS.b), "one holder");
    t.diagnostic(`VIP on a ${Date.now() - started} ms after start`);

    const client = inNamespace(NS.c, [
      node,
      "--import",
      "tsx",
      join("test", "helpers", "vip-client.ts"),
      `opc.tcp://${VIP}:4841`,
    ]);
    const lines = () =>
      client
        .output()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { value?: number; status?: string; event?: string; at: number });
    const values = () => lines().filter((l) => l.value !== undefined && l.status === "Good");
    await waitFor(
      () => values().length >= 50,
      60_000,
      `values through the VIP\n${client.output().slice(-2000)}`,
    );

    t.diagnostic(`50 values through the VIP ${Date.now() - started} ms after start`);
    const before = values().length;
    const killedAt = Date.now();
    a.gateway.child.kill("SIGKILL");
    await waitFor(() => holdsVip(NS.b), 30_000, "the VIP on instance b");
    const movedAt = Date.now();
    const first = await waitFor(
      () => values()[before],
      60_000,
      `a value after the move\n${client.output().slice(-2000)}`,
    );
    const last = values()[before - 1]!;
    const missed = first.value! - last.value! - 1;
    t.diagnostic(
      `VIP path: VIP on b ${movedAt - killedAt} ms after SIGKILL of a; the client's first value ${first.at - killedAt} ms after it, ${missed} values missed (${missed * TICK_MS} ms of data at a ${TICK_MS} ms tick)`,
    );
    assert.ok(!holdsVip(NS.a), "a gave the VIP up");
    assert.ok(first.value! > last.value!, "values go on, newer than before the fault");
    assert.ok(missed > 0, "the client lost its session: the gap is lost (what the README says)");
  } finally {
    // keepalived first, gracefully (it removes the VIP and stops its VRRP child), then the rest.
    for (const host of ["a", "b"]) {
      const pidFile = join(dir, `keepalived-${host}.pid`);
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, "utf8").trim()), "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
    await delay(500);
    for (const host of ["a", "b"]) {
      const vrrpPid = join(dir, `vrrp-${host}.pid`);
      if (existsSync(vrrpPid)) {
        try {
          process.kill(Number(readFileSync(vrrpPid, "utf8").trim()), "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await Promise.all(
      children.map((c) =>
        c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : null,
      ),
    );
    removeNetwork();
  }
});
