/**
 * The mirrored address space cached on disk, so that a gateway started while every upstream is down
 * still serves its address space (values Bad until a server answers).
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { AddressSnapshot } from "./snapshot.ts";

export async function loadSnapshot(file: string): Promise<AddressSnapshot | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as AddressSnapshot;
    return Array.isArray(parsed.nodes) && Array.isArray(parsed.namespaceUris) ? parsed : undefined;
  } catch {
    return undefined; // no cache yet, or unreadable: the gateway mirrors from the upstream instead
  }
}

/** Written to a temporary file then renamed: a crash never leaves half a cache. */
export async function saveSnapshot(file: string, snapshot: AddressSnapshot): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(snapshot));
  await rename(temporary, file);
}
