/**
 * The upstream server's application instance certificate, seen from one link (Part 4 §6.7: a
 * server restarted with a new certificate).
 *
 * node-opcua's client already fetches the endpoints again (GetEndpoints) when a reconnect fails on
 * the server's certificate, and goes on with the new certificate when the trust list accepts it.
 * When the trust list refuses it, node-opcua retries at once, forever — no backoff (hundreds of
 * attempts a second were measured) — and says only "verification failed". The certificate manager
 * is shared by every link of the process, so each link looks at it through a view of its own that
 * reports the certificates refused *for this link*: the link can then stop that loop, say which
 * certificate, why and what to do, and retry at its own backoff until an operator trusts it.
 */
import { createHash } from "node:crypto";
import type { OPCUACertificateManager, StatusCode } from "node-opcua";
import { describeCertificate } from "../security/certificate-file.ts";
import { checkReportingRefusals } from "../security/gateway-pki.ts";

type Certificate = Buffer;
type StatusCallback = (error: Error | null, status?: StatusCode) => void;

/** SHA-1 thumbprint (lower-case hex) of the leaf of a certificate or chain. */
export function thumbprintOf(certificate: Certificate | Certificate[]): string {
  const leaf = Array.isArray(certificate) ? certificate[0] : certificate;
  if (!leaf) return "";
  try {
    return describeCertificate(leaf).thumbprint;
  } catch {
    // a chain in one buffer that node:crypto will not split: the bytes still identify it
    return createHash("sha1").update(leaf).digest("hex");
  }
}

/**
 * `manager` as one link sees it: every certificate it refuses is reported to `onRefused` (node-opcua
 * calls checkCertificate with a promise or a callback; both are covered). Everything else is the
 * shared manager itself.
 */
export function reportingRefusals(
  manager: OPCUACertificateManager,
  onRefused: (thumbprint: string, status: StatusCode) => void,
): OPCUACertificateManager {
  const check = (chain: Certificate | Certificate[], callback?: StatusCallback) =>
    checkReportingRefusals(
      (c) => manager.checkCertificate(c) as Promise<StatusCode>,
      chain,
      callback,
      (leaf, status) => onRefused(thumbprintOf(leaf), status),
    );
  return new Proxy(manager, {
    get(target, property) {
      if (property === "checkCertificate") return check;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** What the operator reads when a server's certificate is refused. */
export function refusalMessage(thumbprint: string, previous: string | null, status: string): string {
  const change = previous
    ? `the server's certificate changed (was ${previous.slice(0, 16)}…) and the new one `
    : "the server's certificate ";
  return (
    `${change}${thumbprint} is refused (${status}); it waits in the PKI's rejected/ folder: ` +
    `\`opcua-redundancy pki trust ${thumbprint.slice(0, 16)}\` lets the link connect, no restart needed`
  );
}
