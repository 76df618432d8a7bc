/**
 * HTTPS: with `http.tls` the status server answers over TLS with the configured certificate
 * (a self-signed one made by openssl here) and nothing over plain HTTP. The gateway side is a
 * plain stand-in: this test is about the HTTP transport only.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EventLog } from "../../src/diagnostics/event-log.ts";
import { startStatusServer } from "../../src/http/status-server.ts";
import { silentLogger } from "../../src/log.ts";

test("http.tls: HTTPS with the configured certificate, plain HTTP refused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "http-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
  const server = await startStatusServer({
    host: "127.0.0.1",
    port: 0,
    tls: { certFile, keyFile },
    token: null,
    gateway: {
      pairs: () => [],
      failover: () => undefined,
      reload: async () => ({ added: [], removed: [], reconfigured: [], unchanged: [] }),
    },
    events: new EventLog({ maxEvents: 100, logger: silentLogger }),
    logger: silentLogger,
  });
  try {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(certFile);
    const body = await new Promise<string>((resolve, reject) => {
      get(`${server.url}/api/status`, { ca }, (response) => {
        let text = "";
        response.on("data", (d) => (text += d));
        response.on("end", () => resolve(text));
      }).on("error", reject);
    });
    assert.deepEqual(JSON.parse(body), { pairs: [], storage: [] });
    await assert.rejects(fetch(`http://127.0.0.1:${server.port}/health`));
  } finally {
    await server.close();
  }
});
