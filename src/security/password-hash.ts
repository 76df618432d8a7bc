/**
 * Password hashes for the configuration: scrypt (node:crypto) with a random salt, stored as
 * `scrypt$N$r$p$<salt base64>$<hash base64>` so that the cost can be raised later without
 * invalidating existing hashes. Verification is constant-time.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { RedundancyError } from "../errors.ts";

const PREFIX = "scrypt";
/** 2^15: about 50 ms per hash on a desktop CPU; r and p as recommended by the scrypt paper. */
const DEFAULT_COST = { N: 32_768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

/** The shape of a stored hash (for the configuration schema). */
export const PASSWORD_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }, length: number) {
  return new Promise<Buffer>((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r bytes; allow twice that.
    scrypt(password, salt, length, { ...cost, maxmem: 256 * cost.N * cost.r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

function parse(stored: string): ParsedHash {
  if (!PASSWORD_HASH_PATTERN.test(stored))
    throw new RedundancyError("ERR_INVALID_ARGUMENT", "not a password hash made by hash-password");
  const [, n, r, p, salt, hash] = stored.split("$") as [string, string, string, string, string, string];
  return {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt, "base64"),
    hash: Buffer.from(hash, "base64"),
  };
}

/** Hashes a password for the configuration (`opcua-redundancy hash-password`). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(password, salt, DEFAULT_COST, KEY_LENGTH);
  const { N, r, p } = DEFAULT_COST;
  return [PREFIX, N, r, p, salt.toString("base64"), hash.toString("base64")].join("$");
}

/** Whether `password` matches the stored hash; false (never a throw) for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  let parsed: ParsedHash;
  try {
    parsed = parse(stored);
  } catch {
    return false;
  }
  const candidate = await derive(password, parsed.salt, parsed, parsed.hash.length).catch(() => null);
  return candidate !== null && timingSafeEqual(candidate, parsed.hash);
}
