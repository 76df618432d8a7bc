/**
 * node-opcua's Local Discovery Server on loopback, and a real server that registers with it, for
 * the discovery tests (the simulators register with no LDS).
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OPCUACertificateManager, OPCUAServer, RegisterServerMethod } from "node-opcua";
import { OPCUADiscoveryServer } from "node-opcua-server-discovery";
import { freePort } from "./ports.ts";
import { waitFor } from "./wait.ts";

export interface TestLds {
  url: string;
  /** A server registered with the LDS (its own URL). */
  registeredUrl: string;
  stop(): Promise<void>;
}

function manager(folder: string, name: string): OPCUACertificateManager {
  return new OPCUACertificateManager({
    rootFolder: join(folder, name),
    name,
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
  } as ConstructorParameters<typeof OPCUACertificateManager>[0]);
}

/** Starts an LDS and one server that registers with it; resolves once the LDS lists it. */
export async function startLdsWithServer(): Promise<TestLds> {
  const folder = await mkdtemp(join(tmpdir(), "opcua-redundancy-lds-"));
  const port = await freePort();
  const lds = new OPCUADiscoveryServer({
    port,
    hostname: "127.0.0.1",
    serverCertificateManager: manager(folder, "lds"),
  });
  await lds.start();
  const url = `opc.tcp://127.0.0.1:${port}`;
  const server = new OPCUAServer({
    port: await freePort(),
    hostname: "127.0.0.1",
    serverCertificateManager: manager(folder, "server"),
    registerServerMethod: RegisterServerMethod.LDS,
    discoveryServerEndpointUrl: url,
    serverInfo: {
      applicationUri: "urn:opcua-redundancy:test:registered",
      applicationName: { text: "registered server" },
    },
  });
  await server.start();
  await waitFor(() => lds.registeredServerCount > 0, 30_000, "the server registered with the LDS");
  return {
    url,
    registeredUrl: server.getEndpointUrl(),
    async stop() {
      await server.shutdown(0);
      await lds.shutdown();
    },
  };
}
