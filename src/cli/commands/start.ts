/**
 * `opcua-redundancy start --config FILE [--data-dir DIR] [--instance NAME] [--only-pairs A,B]`: run
 * the gateway (all the configuration's pairs, or this instance's share of them: see
 * gateway/redundant-set.ts).
 * SIGHUP reloads the configuration file; SIGTERM and SIGINT shut down gracefully (downstream
 * clients see ServerState Shutdown for `shutdown.delayMs`, a second signal stops at once).
 */
import { parseArgs } from "node:util";

const usage =
  "Usage: opcua-redundancy start --config FILE [--data-dir DIR] [--instance NAME] [--only-pairs A,B]\n";

export async function run(args: string[]): Promise<number> {
  let values: { config?: string; "data-dir"?: string; instance?: string; "only-pairs"?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string" },
        "data-dir": { type: "string" },
        instance: { type: "string" },
        "only-pairs": { type: "string" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 64;
  }
  if (!values.config) {
    process.stderr.write(usage);
    return 64;
  }
  const { loadConfigFile, ConfigError } = await import("../../config/load.ts");
  let config: Awaited<ReturnType<typeof loadConfigFile>>;
  try {
    config = await loadConfigFile(values.config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return error.code === "ERR_CONFIG_UNREADABLE" ? 66 : 78;
  }
  const { createLogger } = await import("../../log.ts");
  const { routeNodeOpcuaLogs } = await import("../../upstream/opcua-logs.ts");
  const { Gateway } = await import("../../gateway/gateway.ts");
  const { RedundancyError } = await import("../../errors.ts");
  const logger = createLogger({ level: config.logLevel });
  routeNodeOpcuaLogs(logger);
  const onlyPairs = values["only-pairs"]
    ?.split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (onlyPairs?.length === 0) {
    process.stderr.write(`--only-pairs: expected pair names separated by commas\n${usage}`);
    return 64;
  }
  let gateway: InstanceType<typeof Gateway>;
  try {
    gateway = new Gateway({
      config,
      logger,
      dataDir: values["data-dir"],
      configFile: values.config,
      instance: { name: values.instance, onlyPairs },
    });
  } catch (error) {
    if (!(error instanceof RedundancyError)) throw error;
    process.stderr.write(`${values.config}: ${error.message}\n`);
    return 78;
  }
  try {
    await gateway.start();
  } catch (error) {
    if (!(error instanceof RedundancyError)) throw error;
    logger.fatal({ code: error.code, err: error.message }, "cannot start");
    await gateway.stop();
    return error.code === "ERR_LISTEN" ? 69 : error.code === "ERR_CONFIG_UNREADABLE" ? 66 : 78;
  }
  for (const pair of gateway.pairs)
    logger.info({ pair: pair.config.name, endpoint: pair.endpointUrl }, "serving");
  if (gateway.httpUrl) logger.info({ url: gateway.httpUrl }, "status page");
  const onHangup = () => {
    logger.info({ signal: "SIGHUP" }, "reloading the configuration");
    // A rejected file is logged (with every problem) by the gateway; the running configuration stays.
    gateway.reload().catch(() => undefined);
  };
  process.on("SIGHUP", onHangup);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal, delayMs: config.shutdown.delayMs }, "shutting down");
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      // A second signal during the graceful delay ends the process at once.
      const now = () => process.exit(130);
      process.once("SIGTERM", now);
      process.once("SIGINT", now);
      resolve();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  process.off("SIGHUP", onHangup);
  await gateway.stop({ delayMs: gateway.config.shutdown.delayMs });
  logger.info("stopped");
  return 0;
}
