/**
 * Operator view of the gateway's trust lists: certificates in trusted/ and rejected/, and moving
 * one from one list to the other (node-opcua's certificate manager does the move; a running
 * gateway watches the folders and applies it without a restart).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { RedundancyError } from "../errors.ts";
import { type CertificateInfo, describeCertificate } from "./certificate-file.ts";
import { type PkiStore, pkiCertificateManager, pkiStoreFolder } from "./gateway-pki.ts";

export type TrustStatus = "trusted" | "rejected";

export interface StoredCertificate extends Omit<CertificateInfo, "der"> {
  status: TrustStatus;
  file: string;
}

async function readFolder(folder: string, status: TrustStatus): Promise<StoredCertificate[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const out: StoredCertificate[] = [];
  for (const name of names.filter((n) => /\.(pem|der|crt|cer)$/i.test(n)).sort()) {
    const file = join(folder, name);
    try {
      const { der: _der, ...info } = describeCertificate(await readFile(file));
      out.push({ ...info, status, file });
    } catch {
      // not a certificate (a partial write, a stray file): not listed
    }
  }
  return out;
}

export async function listCertificates(pkiDir: string, store: PkiStore): Promise<StoredCertificate[]> {
  const root = pkiStoreFolder(pkiDir, store);
  return [
    ...(await readFolder(join(root, "trusted", "certs"), "trusted")),
    ...(await readFolder(join(root, "rejected"), "rejected")),
  ];
}

/** Finds a listed certificate by thumbprint or a unique prefix of it (at least 8 hex digits). */
export async function findCertificate(
  pkiDir: string,
  store: PkiStore,
  thumbprint: string,
): Promise<StoredCertificate> {
  const wanted = thumbprint.replaceAll(":", "").toLowerCase();
  if (!/^[0-9a-f]{8,40}$/.test(wanted))
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `expected a thumbprint (8 to 40 hex digits), got "${thumbprint}"`,
    );
  const matches = (await listCertificates(pkiDir, store)).filter((c) => c.thumbprint.startsWith(wanted));
  const unique = new Map(matches.map((c) => [c.thumbprint, c]));
  if (unique.size === 0)
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `no certificate ${thumbprint} in ${pkiStoreFolder(pkiDir, store)}`,
    );
  if (unique.size > 1)
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `${thumbprint} matches ${unique.size} certificates: give more digits`,
    );
  return [...unique.values()][0]!;
}

/** Moves a certificate (from a file, or found by thumbprint) to the trusted or the rejected list. */
export async function setTrust(
  pkiDir: string,
  store: PkiStore,
  certificate: { file: string } | { thumbprint: string },
  status: TrustStatus,
): Promise<CertificateInfo> {
  const file =
    "file" in certificate
      ? certificate.file
      : (await findCertificate(pkiDir, store, certificate.thumbprint)).file;
  const info = describeCertificate(await readFile(file));
  const manager = pkiCertificateManager(pkiDir, store, { watch: false });
  try {
    await manager.initialize();
    if (status === "trusted") await manager.trustCertificate(info.der);
    else await manager.rejectCertificate(info.der);
  } finally {
    await manager.dispose();
  }
  return info;
}
