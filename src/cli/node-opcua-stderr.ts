/** node-opcua logs with console.log: for commands whose stdout is their output, send it to stderr. */
import { format } from "node:util";
import { setErrorLogger, setWarningLogger } from "node-opcua";

export function nodeOpcuaLogsToStderr(): void {
  const toStderr = (_context: unknown, ...args: unknown[]) => {
    if (process.env.OPCUA_REDUNDANCY_LOG_LEVEL === "silent") return;
    process.stderr.write(`${format(...args)}\n`);
  };
  setWarningLogger(toStderr);
  setErrorLogger(toStderr);
}
