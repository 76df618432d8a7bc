/** The status page's files (src/http/static), served as they are: no build step. */
import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "static");

/** Only these files exist: no path from the request ever reaches the file system. */
const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/config": { file: "config.html", type: "text/html; charset=utf-8" },
  "/config.html": { file: "config.html", type: "text/html; charset=utf-8" },
  "/config.css": { file: "config.css", type: "text/css; charset=utf-8" },
  "/config.js": { file: "config.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

export async function serveStatic(path: string, response: ServerResponse): Promise<boolean> {
  const entry = FILES[path];
  if (!entry) return false;
  const body = await readFile(join(root, entry.file));
  response.writeHead(200, {
    "content-type": entry.type,
    "cache-control": "no-cache",
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'",
    "x-content-type-options": "nosniff",
  });
  response.end(body);
  return true;
}
