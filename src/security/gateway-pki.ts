/**
 * The gateway's PKI: one folder per gateway, `<dataDir>/pki` unless configured, never node-opcua's
 * shared default.
 *
 * - `applications/`: own key and certificates (one certificate per pair, since each pair's server
 *   has its own application URI, plus the upstream client's), and the trust list for application
 *   certificates of both sides: downstream clients and upstream servers. Unknown certificates are
 *   refused and stored in `rejected/` for an operator to review (`opcua-redundancy pki`).
 * - `users/`: the trust list for X.509 user certificates.
 */
import { join } from "node:path";
import { OPCUACertificateManager, type StatusCode } from "node-opcua";

type Certificate = Buffer;
type StatusCodeCallback = (err: Error | null, statusCode?: StatusCode) => void;

/**
 * `check(chain)` in both of node-opcua's calling styles (promise, or callback), calling `onRefused`
 * with the leaf certificate of every chain it refuses.
 */
export function checkReportingRefusals(
  check: (chain: Certificate | Certificate[]) => Promise<StatusCode>,
  chain: Certificate | Certificate[],
  callback: StatusCodeCallback | undefined,
  onRefused: (certificate: Certificate, status: StatusCode) => void,
): Promise<StatusCode> | undefined {
  const checked = check(chain).then((status) => {
    const leaf = Array.isArray(chain) ? chain[0] : chain;
    if (!status.isGood() && leaf) onRefused(leaf, status);
    return status;
  });
  if (!callback) return checked;
  checked.then(
    (status) => callback(null, status),
    (error: Error) => callback(error),
  );
  return undefined;
}

/** A certificate manager that reports every certificate it refuses (for the operator's log). */
export class ReviewedCertificateManager extends OPCUACertificateManager {
  onRefused: ((certificate: Certificate, status: StatusCode) => void) | undefined;

  override checkCertificate(certificateChain: Certificate | Certificate[]): Promise<StatusCode>;
  override checkCertificate(
    certificateChain: Certificate | Certificate[],
    callback: StatusCodeCallback,
  ): void;
  override checkCertificate(
    certificateChain: Certificate | Certificate[],
    callback?: StatusCodeCallback,
  ): Promise<StatusCode> | undefined {
    return checkReportingRefusals(
      (chain) => super.checkCertificate(chain) as Promise<StatusCode>,
      certificateChain,
      callback,
      (leaf, status) => this.onRefused?.(leaf, status),
    );
  }
}

export type PkiStore = "applications" | "users";

export function pkiStoreFolder(pkiDir: string, store: PkiStore): string {
  return join(pkiDir, store);
}

/** The certificate a pair's server presents (made on first start, signed with the gateway's key). */
export function pairCertificateFile(pkiDir: string, pairName: string): string {
  return join(pkiStoreFolder(pkiDir, "applications"), "own", "certs", `${pairName}.pem`);
}

/**
 * A certificate manager over one store. Unknown certificates are refused (and kept in rejected/).
 * Each server gets its own managers (a server disposes them on shutdown).
 */
export function pkiCertificateManager(
  pkiDir: string,
  store: PkiStore,
  options: { watch?: boolean } = {},
): ReviewedCertificateManager {
  return new ReviewedCertificateManager({
    rootFolder: pkiStoreFolder(pkiDir, store),
    name: store,
    automaticallyAcceptUnknownCertificate: false,
    keySize: 2048,
    // A running gateway watches its trust lists, so that `pki trust` takes effect at once.
    disableFileWatchers: options.watch === false,
  });
}
