/** The README's library examples are the files the packaging test runs, to the letter. */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

for (const file of ["examples/library.mjs", "examples/gateway.mjs"]) {
  test(`the README block after <!-- ${file} --> is ${file}`, async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    const block = new RegExp(`<!-- ${file} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\`\\n`).exec(readme);
    assert.ok(block, `README has a js block marked <!-- ${file} -->`);
    assert.equal(block[1], await readFile(join(root, file), "utf8"));
  });
}
