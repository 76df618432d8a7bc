/**
 * `listen.host` given as an address binds the pair's endpoint to that interface only (the
 * operator who writes 127.0.0.1 means "not on the plant network"). Read from the kernel's socket
 * table (/proc/net/tcp, tcp6): the pair's listening socket, by its port.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { type GatewayRig, startGatewayRig } from "../helpers/gateway-rig.ts";
import { waitFor } from "../helpers/wait.ts";

const LISTEN = "0A";

/** Local addresses (kernel hex form) of the sockets listening on `port`. */
async function listeningAddresses(port: number): Promise<string[]> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const found: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === LISTEN && local?.endsWith(`:${hexPort}`)) found.push(local.slice(0, -5));
    }
  }
  return found;
}

let rig: GatewayRig;
before(async () => {
  rig = await startGatewayRig({ pairs: [{ mode: "cold" }] });
  await waitFor(() => rig.gateway.pairs[0]!.status().activeIndex !== null, 30_000, "the pair active");
});
after(async () => {
  await rig?.dispose();
});

test("listen.host 127.0.0.1: the pair's endpoint listens on loopback only", async () => {
  const port = Number(new URL(rig.endpoints[0]!.replace("opc.tcp:", "http:")).port);
  assert.deepEqual(await listeningAddresses(port), ["0100007F"], "one socket, bound to 127.0.0.1");
});
