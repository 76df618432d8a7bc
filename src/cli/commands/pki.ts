/**
 * `opcua-redundancy pki list|trust|reject`: review the certificates the gateway refused and decide.
 * Application certificates (downstream clients, upstream servers) by default; `--users` for X.509
 * user certificates.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RedundancyError } from "../../errors.ts";
import type { PkiStore } from "../../security/gateway-pki.ts";
import { listCertificates, setTrust } from "../../security/pki-store.ts";

const usage =
  "Usage: opcua-redundancy pki list   [--data-dir DIR | --pki DIR] [--users]\n" +
  "       opcua-redundancy pki trust  THUMBPRINT|--file CERT [--data-dir DIR | --pki DIR] [--users]\n" +
  "       opcua-redundancy pki reject THUMBPRINT|--file CERT [--data-dir DIR | --pki DIR] [--users]\n" +
  "  --data-dir DIR  the gateway's data folder (default ./data); its PKI is DIR/pki\n" +
  "  --pki DIR       the PKI folder itself\n" +
  "  --users         the X.509 user certificates instead of application certificates\n";

export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    process.stderr.write(`opcua-redundancy pki: ${(error as Error).message}\n${usage}`);
    return 64;
  }
  const { action, target, pkiDir, store, file } = parsed;
  try {
    if (action === "list") {
      const certificates = await listCertificates(pkiDir, store);
      if (certificates.length === 0) process.stdout.write(`no certificates in ${join(pkiDir, store)}\n`);
      for (const c of certificates)
        process.stdout.write(
          `${c.status.padEnd(9)}${c.thumbprint}  ${c.commonName}  (valid to ${c.validTo})\n`,
        );
      return 0;
    }
    const status = action === "trust" ? "trusted" : "rejected";
    const info = await setTrust(pkiDir, store, file ? { file } : { thumbprint: target! }, status);
    process.stdout.write(`${status} ${info.thumbprint} ${info.commonName}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof RedundancyError)) throw error;
    process.stderr.write(`opcua-redundancy pki: ${error.message}\n`);
    return 65;
  }
}

function parse(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      "data-dir": { type: "string" },
      pki: { type: "string" },
      users: { type: "boolean", default: false },
      file: { type: "string" },
    },
  });
  const [action, target, ...rest] = positionals;
  if (action !== "list" && action !== "trust" && action !== "reject")
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `expected list, trust or reject, got ${action ?? "nothing"}`,
    );
  if (rest.length > 0 || (action === "list" && target !== undefined))
    throw new RedundancyError("ERR_INVALID_ARGUMENT", "too many arguments");
  if (action !== "list" && (target === undefined) === (values.file === undefined))
    throw new RedundancyError("ERR_INVALID_ARGUMENT", `${action} needs a thumbprint or --file CERT`);
  const pkiDir = values.pki ?? join(values["data-dir"] ?? "data", "pki");
  const store: PkiStore = values.users ? "users" : "applications";
  return { action, target, pkiDir, store, file: values.file };
}
