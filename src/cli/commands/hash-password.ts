/**
 * `opcua-redundancy hash-password`: reads a password on stdin (one line; never an argument, which
 * `ps` would show) and prints its scrypt hash for `security.users[].passwordHash`.
 */
import { hashPassword } from "../../security/password-hash.ts";

const usage =
  "Usage: opcua-redundancy hash-password < password.txt\n" +
  "       printf '%s' \"$PASSWORD\" | opcua-redundancy hash-password\n" +
  "Reads the password on stdin and prints the hash for security.users[].passwordHash.\n";

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("password (input is shown; end with Enter): ");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (process.stdin.isTTY && chunk.includes(10)) break;
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function run(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(usage);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(`opcua-redundancy hash-password: no arguments expected\n${usage}`);
    return 64;
  }
  const password = (await readStdin()).replace(/\r?\n$/, "");
  if (password.length === 0) {
    process.stderr.write(`opcua-redundancy hash-password: empty password\n${usage}`);
    return 65; // EX_DATAERR
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}
