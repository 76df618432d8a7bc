/**
 * Certificate stores for simulators, cached under the OS temp folder so that only the first
 * simulator on a machine pays for key and certificate generation. node-opcua serialises store
 * creation and self-signed certificate generation with a file lock (@ster5/global-mutex), so
 * processes starting at the same time share the cache safely.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OPCUACertificateManager } from "node-opcua";

/** The folder that holds the cached stores: `<tmpdir>/opcua-redundancy-sim-pki`. */
export const simulatorPkiFolder: string = join(tmpdir(), "opcua-redundancy-sim-pki");

export interface SimulatorCertificateManagers {
  server: OPCUACertificateManager;
  user: OPCUACertificateManager;
}

/**
 * Fresh managers over the cached stores (one pair per server: the server disposes them on
 * shutdown). `variant` selects a sub-store, for a simulator with an application URI of its own;
 * `pkiFolder` replaces the cache (an empty folder: a new key and certificate, same application URI).
 */
export function createSimulatorCertificateManagers(
  variant = "",
  pkiFolder?: string,
): SimulatorCertificateManagers {
  const folder = pkiFolder ?? (variant ? join(simulatorPkiFolder, variant) : simulatorPkiFolder);
  const common = { automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true } as const;
  return {
    server: new OPCUACertificateManager({ ...common, rootFolder: join(folder, "PKI"), name: "PKI" }),
    user: new OPCUACertificateManager({ ...common, rootFolder: join(folder, "UserPKI"), name: "UserPKI" }),
  };
}
