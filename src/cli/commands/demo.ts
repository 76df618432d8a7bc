/**
 * `opcua-redundancy demo`: the product's main job in one process. Two shared-clock simulators, the
 * gateway serving them as one OPC UA server (opc.tcp://localhost:4840) with its HTTP status server
 * (http://127.0.0.1:8080/api/status), and the demo's own downstream OPC UA client counting Counter
 * values through the gateway. A status line per second, one line per engine event, and keys (or a
 * scripted tour) to crash and restart servers, degrade ServiceLevel and fail over by hand. See `--help`.
 * The banner comes first; the engine (node-opcua) is loaded while the newcomer reads it.
 */
import { DEMO_USAGE, type DemoOptions, parseDemoOptions } from "../../demo/options.ts";
import { Printer } from "../../demo/output.ts";

export async function run(args: string[]): Promise<number> {
  let options: DemoOptions | "help";
  try {
    options = parseDemoOptions(args);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    process.stderr.write(`opcua-redundancy demo: ${text}\n\n${DEMO_USAGE}`);
    return 64; // EX_USAGE
  }
  if (options === "help") {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }
  const interactive = process.stdin.isTTY === true && !options.auto;
  const printer = new Printer(process.stdout, {
    colour: process.stdout.isTTY === true && !process.env.NO_COLOR,
    urls: options.ports.map((port) => `opc.tcp://127.0.0.1:${port}`),
  });
  printer.banner(options, interactive);
  printer.action("loading the engine and starting the two simulators and the gateway ...");
  const { runDemo } = await import("../../demo/session.ts");
  return runDemo(options, printer, interactive);
}
