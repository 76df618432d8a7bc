/**
 * `npm run bench`: the three questions a user choosing a redundancy product asks, in one run —
 * what a failover costs (through the gateway, with a plain node-opcua client as the baseline),
 * what the gateway costs against talking to the server directly, how far it scales (with the CPU
 * profile's hot spots).
 *
 *   npm run bench -- [--quick] [--section failover|overhead|scale]... [--reps N] ... (--help)
 *
 * Prints one Markdown report on stdout (progress on stderr) and writes every figure, each named
 * with its unit, to bench/results/latest.json (with the run's meta: date, machine, commit, load).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { captureNodeOpcuaLogs, nodeOpcuaLog } from "./lib/gateway-common.ts";
import { describeEnd, describeMeta, finishMeta, startMeta } from "./lib/meta.ts";
import { parseRunOptions } from "./lib/run-options.ts";
import {
  type FailoverFigures,
  failoverSection,
  type OverheadFigures,
  overheadSection,
  type ScaleFigures,
  scaleSection,
} from "./lib/run-sections.ts";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = join(BENCH_DIR, "results");

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  const options = parseRunOptions(process.argv.slice(2), join(RESULTS_DIR, "latest.json"));
  const unhandled: string[] = [];
  captureNodeOpcuaLogs();
  process.on("unhandledRejection", (reason) => {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    unhandled.push(text);
    progress(`unhandled rejection: ${text}`);
  });
  // Ctrl+C: exit through process.exit so that sim-process's exit hook kills the simulators.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
  await mkdir(dirname(options.out), { recursive: true });

  const meta = startMeta(dirname(BENCH_DIR));
  const title = `# opcua-redundancy benchmark${options.quick ? " (--quick)" : ""}`;
  progress(`${title}\n${describeMeta(meta)}`);
  const sectionMs: Record<string, number> = {};
  const markdown: string[] = [title, "", describeMeta(meta)];
  let failover: FailoverFigures | undefined;
  let overhead: OverheadFigures | undefined;
  let scale: ScaleFigures | undefined;

  const timed = async <T>(name: string, run: () => Promise<{ figures: T; markdown: string[] }>) => {
    const began = Date.now();
    const out = await run();
    sectionMs[name] = Date.now() - began;
    markdown.push("", ...out.markdown);
    return out.figures;
  };
  if (options.sections.includes("failover"))
    failover = await timed("failover", () => failoverSection(options, progress));
  if (options.sections.includes("overhead"))
    overhead = await timed("overhead", () => overheadSection(options, progress));
  if (options.sections.includes("scale"))
    // the raw CPU profiles go next to the JSON file
    scale = await timed("scale", () => scaleSection(options, dirname(options.out), progress));

  const finished = finishMeta(meta);
  markdown.push("", describeEnd(finished));
  if (unhandled.length > 0)
    markdown.push("", `- ${unhandled.length} unhandled rejection(s), see the JSON file`);
  process.stdout.write(`${markdown.join("\n")}\n`);

  const json = {
    meta: { ...finished, sectionMs, options },
    failover,
    overhead,
    scale,
    unhandledRejections: unhandled,
    nodeOpcuaLog,
  };
  await writeFile(options.out, `${JSON.stringify(json, null, 2)}\n`);
  progress(
    `figures: ${relative(process.cwd(), options.out)} (${Math.round((finished.durationMs ?? 0) / 1000)} s in all)`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
    );
    process.exit(1);
  },
);
