/**
 * `opcua-redundancy test-email --config FILE`: sends one test message to every configured recipient
 * through the configured SMTP servers (in order, the first that accepts wins) and prints what each
 * server answered. Exit codes: 0 sent, 64 usage, 66 unreadable, 69 no server accepted, 78 invalid
 * configuration or no `notifications` section.
 */
import { parseArgs } from "node:util";

const USAGE = "Usage: opcua-redundancy test-email --config FILE\n";

export async function run(args: string[]): Promise<number> {
  let values: { config?: string };
  try {
    ({ values } = parseArgs({ args, options: { config: { type: "string" } } }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 64;
  }
  if (!values.config) {
    process.stderr.write(USAGE);
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
  if (!config.notifications) {
    process.stderr.write(`${values.config}: no notifications section\n`);
    return 78;
  }
  const { Notifier } = await import("../../notify/notifier.ts");
  const notifier = new Notifier(config.notifications, {
    // Failures are printed below from the attempts; nothing to record here.
    record: () => undefined,
  });
  const recipients = config.notifications.recipients.map((r) => r.address).join(", ");
  const result = await notifier.sendTest();
  for (const attempt of result.attempts) {
    process.stdout.write(
      `${attempt.server}: ${attempt.error === null ? "accepted" : `failed: ${attempt.error}`}\n`,
    );
  }
  if (result.acceptedBy === null) {
    process.stderr.write(`test e-mail to ${recipients} not sent: no SMTP server accepted it\n`);
    return 69;
  }
  process.stdout.write(`test e-mail to ${recipients} sent through ${result.acceptedBy}\n`);
  return 0;
}
