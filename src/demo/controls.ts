/** How the demo is driven: keys on a terminal, or a scripted tour (CI, pipes, `--auto`). */
import type { ReadStream } from "node:tty";

export interface DemoActions {
  /** Stop server `index` when it runs, start it again when it is stopped. */
  toggleServer(index: number): Promise<void>;
  stopServer(index: number): Promise<void>;
  startServer(index: number): Promise<void>;
  setServiceLevel(index: number, level: number): Promise<void>;
  failover(): void;
  help(): void;
  quit(reason: string): void;
}

/** Reads single key presses (raw mode) until detached. Returns the detach function. */
export function attachKeys(stdin: ReadStream, actions: DemoActions): () => void {
  const onData = (chunk: Buffer | string) => {
    for (const key of chunk.toString("utf8")) {
      switch (key) {
        case "1":
        case "2":
          void actions.toggleServer(Number(key) - 1);
          break;
        case "s":
          void actions.setServiceLevel(0, 150);
          break;
        case "S":
          void actions.setServiceLevel(0, 255);
          break;
        case "f":
        case "F":
          actions.failover();
          break;
        case "h":
        case "?":
          actions.help();
          break;
        case "q":
        case "Q":
        case "\u0003": // Ctrl-C in raw mode
          actions.quit(key === "\u0003" ? "Ctrl-C" : "q");
          break;
        case "\u0004": // Ctrl-D
          actions.quit("Ctrl-D");
          break;
        default:
          break;
      }
    }
  };
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.on("data", onData);
  stdin.resume();
  return () => {
    stdin.off("data", onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

/**
 * The scripted tour: wait `intervalMs`, stop server 1, wait, restart it, and again. A stop waits
 * until the gateway is back on server 1 (automatic failback), so that every crash hits the active
 * server. `say` tells what the tour does. Returns the function that ends the tour.
 */
export function startAutoTour(
  actions: DemoActions,
  options: { intervalMs: number; isActive: (index: number) => boolean },
  say: (text: string) => void,
): () => void {
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
  const tour = async () => {
    while (!done) {
      await sleep(options.intervalMs);
      if (done) return;
      if (!options.isActive(0)) {
        say("[auto] waiting until the gateway is back on server 1 before stopping it again");
        while (!done && !options.isActive(0)) await sleep(200);
        if (done) return;
      }
      say("[auto] stopping server 1 (a crash: every connection to it closes at once)");
      await actions.stopServer(0);
      await sleep(options.intervalMs);
      if (done) return;
      say(
        "[auto] restarting server 1; the gateway returns to it after it has been healthy for the hold time",
      );
      await actions.startServer(0);
    }
  };
  void tour();
  return () => {
    done = true;
    clearTimeout(timer);
  };
}
