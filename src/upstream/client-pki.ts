import { homedir } from "node:os";
import { join } from "node:path";
import { OPCUACertificateManager } from "node-opcua";

/** The application name every upstream client presents (its certificate is made for it). */
export const clientApplicationName = "opcua-redundancy";

/**
 * The folder of the gateway's client PKI (own certificate, trusted and rejected server
 * certificates): `$OPCUA_REDUNDANCY_PKI`, else `~/.config/opcua-redundancy/pki`. Not node-opcua's
 * shared default, whose certificate is made for another application URI.
 */
export function defaultPkiFolder(): string {
  return process.env.OPCUA_REDUNDANCY_PKI ?? join(homedir(), ".config", "opcua-redundancy", "pki");
}

const managers = new Map<string, Promise<OPCUACertificateManager>>();

/**
 * One initialised certificate manager per folder and process, shared by every link (node-opcua
 * ref-counts it). Initialised once: links that start together must not race to create the stores.
 */
export function clientCertificateManager(
  folder: string = defaultPkiFolder(),
): Promise<OPCUACertificateManager> {
  let manager = managers.get(folder);
  if (!manager) {
    // async: node-opcua's constructor throws at once when the folder cannot be created
    manager = (async () => {
      const created = new OPCUACertificateManager({
        rootFolder: folder,
        name: "PKI",
        // Upstream server certificates must be in the trust list (`opcua-redundancy pki trust`);
        // unknown ones are refused and kept in rejected/. (None connections check no certificate.)
        automaticallyAcceptUnknownCertificate: false,
      });
      await created.initialize();
      return created;
    })();
    // a failure is not kept: the next attempt (the link retries at its backoff) tries again
    manager.catch(() => managers.delete(folder));
    managers.set(folder, manager);
  }
  return manager;
}
