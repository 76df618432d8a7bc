#!/usr/bin/env node
// Launcher for the `opcua-redundancy` command.
// node-opcua needs Node.js >= 22.13. When this file is started by an older `node` (machines that
// ship Node 20), it re-runs itself with the Node 22 that the project pins in node_modules.
// In a source checkout (src/ present, tsx installed as a devDependency) it runs the TypeScript
// sources through tsx, so `npm start` needs no build; an installed package ships no src/ and runs
// the compiled dist/ (tsx is not one of its dependencies).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  const pinned = join(root, "node_modules", "node", "bin", "node");
  if (!existsSync(pinned) || process.env.OPCUA_REDUNDANCY_REEXEC) {
    console.error(
      `opcua-redundancy needs Node.js >= 22.13 (this is ${process.version}). Run it through npm scripts or install Node 22.`,
    );
    process.exit(1);
  }
  const result = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, OPCUA_REDUNDANCY_REEXEC: "1" },
  });
  process.exit(result.status ?? 1);
}

const sourceEntry = join(root, "src", "cli", "main.ts");
const compiledEntry = join(root, "dist", "cli", "main.js");
const tsx = existsSync(sourceEntry) ? await import("tsx/esm/api").catch(() => null) : null;
if (tsx) {
  tsx.register();
  await import(pathToFileURL(sourceEntry).href);
} else if (!existsSync(compiledEntry)) {
  console.error("opcua-redundancy: neither the sources with tsx (npm install) nor dist/ (npm run build)");
  process.exit(1);
} else {
  await import(pathToFileURL(compiledEntry).href);
}
