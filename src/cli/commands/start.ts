/** `opcua-redundancy start --config FILE [--data-dir DIR]`: run the gateway until SIGTERM or SIGINT. */
import { parseArgs } from "node:util";

const usage = "Usage: opcua-redundancy start --config FILE [--data-dir DIR]\n";

export async function run(args: string[]): Promise<number> {
  let values: { config?: string; "data-dir"?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { config: { type: "string" }, "data-dir": { type: "string" } },
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
  const logger = createLogger({ level: config.logLevel });
  routeNodeOpcuaLogs(logger);
  const gateway = new Gateway({ config, logger, dataDir: values["data-dir"] });
  await gateway.start();
  for (const pair of gateway.pairs)
    logger.info({ pair: pair.status().name, endpoint: pair.endpointUrl }, "serving");
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down");
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      resolve();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  await gateway.stop();
  return 0;
}
