import { once } from "node:events";
import { createServer } from "node:net";

/** A TCP port free on 127.0.0.1 right now (for components whose configuration needs a number). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (!address || typeof address !== "object") throw new TypeError("no port");
  return address.port;
}
