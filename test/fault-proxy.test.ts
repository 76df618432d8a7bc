import assert from "node:assert/strict";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { after, before, test } from "node:test";
import { type FaultProxy, startFaultProxy } from "./helpers/fault-proxy.ts";
import { delay, waitFor, waitForEvent } from "./helpers/wait.ts";

interface EchoServer {
  port: number;
  /** Everything the server received, over all connections. */
  received(): string;
  close(): Promise<void>;
}

/** A plain TCP echo server; replies are prefixed with `tag` so tests can tell servers apart. */
async function startEchoServer(tag = ""): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  let received = "";
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.on("data", (data) => {
      received += data.toString();
      socket.write(tag + data.toString());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return {
    port: address.port,
    received: () => received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface TestClient {
  socket: Socket;
  text(): string;
  error(): NodeJS.ErrnoException | undefined;
  closed(): boolean;
}

async function connectClient(port: number): Promise<TestClient> {
  const socket = tcpConnect({ host: "127.0.0.1", port });
  let text = "";
  let error: NodeJS.ErrnoException | undefined;
  let closed = false;
  socket.on("data", (data) => {
    text += data.toString();
  });
  socket.on("error", (err) => {
    error = err;
  });
  socket.on("close", () => {
    closed = true;
  });
  await waitForEvent(socket, "connect", 2000);
  return { socket, text: () => text, error: () => error, closed: () => closed };
}

const clients: TestClient[] = [];
async function client(port: number): Promise<TestClient> {
  const c = await connectClient(port);
  clients.push(c);
  return c;
}

let echo: EchoServer;
let proxy: FaultProxy;

before(async () => {
  echo = await startEchoServer();
});

after(async () => {
  for (const c of clients) c.socket.destroy();
  await echo.close();
});

async function freshProxy(): Promise<FaultProxy> {
  await proxy?.close();
  proxy = await startFaultProxy({ port: echo.port });
  return proxy;
}

after(async () => {
  await proxy?.close();
});

test("pass forwards both ways", async () => {
  const p = await freshProxy();
  assert.match(p.url, /^opc\.tcp:\/\/127\.0\.0\.1:\d+$/);
  const c = await client(p.port);
  c.socket.write("hello");
  await waitFor(() => c.text() === "hello", 2000, "echo through the proxy");
  assert.equal(p.connectionCount, 1);
  c.socket.end();
  await waitFor(() => p.connectionCount === 0, 2000, "the proxied connection to close after FIN");
});

test("refuse resets new connections and leaves existing ones alone", async () => {
  const p = await freshProxy();
  const existing = await client(p.port);
  p.setMode("refuse");
  const refused = tcpConnect({ host: "127.0.0.1", port: p.port });
  const error = await waitForEvent<NodeJS.ErrnoException>(refused, "error", 2000);
  assert.equal(error.code, "ECONNRESET");
  existing.socket.write("still here");
  await waitFor(() => existing.text() === "still here", 2000, "echo on the existing connection");
  assert.equal(p.acceptedCount, 2);
});

test("reset resets existing connections (ECONNRESET) and new ones", async () => {
  const p = await freshProxy();
  const c = await client(p.port);
  c.socket.write("a");
  await waitFor(() => c.text() === "a", 2000, "first echo");
  p.setMode("reset");
  await waitFor(() => c.closed(), 2000, "the existing connection to be reset");
  assert.equal(c.error()?.code, "ECONNRESET");
  const again = tcpConnect({ host: "127.0.0.1", port: p.port });
  const error = await waitForEvent<NodeJS.ErrnoException>(again, "error", 2000);
  assert.equal(error.code, "ECONNRESET");
  await waitFor(() => p.connectionCount === 0, 2000, "no connection left");
  p.setMode("pass");
  const after = await client(p.port);
  after.socket.write("b");
  await waitFor(() => after.text() === "b", 2000, "echo after returning to pass");
});

test("blackhole holds bytes both ways; they flow in order after pass", async () => {
  const p = await freshProxy();
  const c = await client(p.port);
  const before = echo.received().length;
  p.setMode("blackhole");
  c.socket.write("one,");
  c.socket.write("two,");
  const fresh = await client(p.port); // accepted, not connected upstream yet
  fresh.socket.write("fresh");
  await delay(300);
  assert.equal(c.text(), "", "no echo during blackhole");
  assert.equal(fresh.text(), "");
  assert.equal(echo.received().length, before, "nothing reached the server");
  assert.equal(c.closed(), false);
  p.setMode("pass");
  await waitFor(() => c.text() === "one,two,", 2000, "held bytes echoed in order");
  await waitFor(() => fresh.text() === "fresh", 2000, "the connection accepted during blackhole to work");
});

test("blackhole: bytes of a sender that aborts with an RST never arrive; a FIN's bytes do", async () => {
  const p = await freshProxy();
  const aborted = await client(p.port);
  const closed = await client(p.port);
  await waitFor(() => p.connectionCount === 2, 2000, "both connections");
  p.setMode("blackhole");
  aborted.socket.write("aborted-bytes,");
  closed.socket.write("closed-bytes,");
  await delay(100); // the proxy has read both writes (it holds them in user space)
  aborted.socket.resetAndDestroy();
  closed.socket.end();
  await delay(100);
  const before = echo.received();
  p.setMode("pass");
  await waitFor(() => echo.received().includes("closed-bytes,"), 2000, "the closed sender's bytes");
  await delay(200);
  assert.equal(echo.received().includes("aborted-bytes,"), false, "the aborted sender's bytes arrived");
  assert.ok(before.length <= echo.received().length);
});

test("halfOpen forwards client→server and holds server→client", async () => {
  const p = await freshProxy();
  const c = await client(p.port);
  p.setMode("halfOpen");
  c.socket.write("ping");
  await waitFor(() => echo.received().endsWith("ping"), 2000, "the server to receive the bytes");
  await delay(200);
  assert.equal(c.text(), "", "the reply is held");
  p.setMode("pass");
  await waitFor(() => c.text() === "ping", 2000, "the held reply after pass");
});

test("delay adds latency each way and keeps order", async () => {
  const p = await freshProxy();
  const c = await client(p.port);
  const delayMs = 150;
  p.setMode({ delayMs });
  assert.deepEqual(p.mode, { delayMs });
  const started = Date.now();
  for (const part of ["1", "2", "3", "4", "5"]) c.socket.write(part);
  await waitFor(() => c.text() === "12345", 3000, "delayed echo in order");
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 2 * delayMs - 5, `round trip took ${elapsed} ms, expected >= ${2 * delayMs}`);
  p.setMode("pass");
  const quick = Date.now();
  c.socket.write("6");
  await waitFor(() => c.text() === "123456", 2000, "echo after pass");
  assert.ok(Date.now() - quick < delayMs, "no delay after pass");
});

test("setTarget sends new connections to another upstream; close() destroys everything", async () => {
  const other = await startEchoServer("other:");
  try {
    const p = await freshProxy();
    const first = await client(p.port);
    p.setTarget({ port: other.port });
    const second = await client(p.port);
    first.socket.write("x");
    second.socket.write("y");
    await waitFor(() => first.text() === "x", 2000, "old connection still on the first upstream");
    await waitFor(() => second.text() === "other:y", 2000, "new connection on the new upstream");
    await p.close();
    await waitFor(() => first.closed() && second.closed(), 2000, "clients closed by close()");
    assert.equal(p.connectionCount, 0);
  } finally {
    await other.close();
  }
});

test("an unreachable upstream resets the client", async () => {
  const gone = await startEchoServer();
  const port = gone.port;
  await gone.close();
  const p = await startFaultProxy({ port });
  try {
    const c = await client(p.port);
    await waitFor(() => c.closed(), 2000, "the client to be reset");
    assert.equal(c.error()?.code, "ECONNRESET");
  } finally {
    await p.close();
  }
});

test("blackhole hides an upstream close like a pulled cable; it shows after pass", async () => {
  const doomed = await startEchoServer();
  const p = await startFaultProxy({ port: doomed.port });
  try {
    const c = await client(p.port);
    c.socket.write("x");
    await waitFor(() => c.text() === "x", 2000, "first echo");
    p.setMode("blackhole");
    await doomed.close(); // destroys the server side of the connection
    await delay(200);
    assert.equal(c.closed(), false, "the client does not see the close during blackhole");
    p.setMode("pass");
    await waitFor(() => c.closed(), 2000, "the close to reach the client after pass");
  } finally {
    await p.close();
  }
});
