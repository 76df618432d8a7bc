import { basename } from "node:path";
import { formatWithOptions } from "node:util";
import { setErrorLogger, setWarningLogger } from "node-opcua";
import type { Logger } from "../log.ts";

/**
 * node-opcua prints its own warnings and errors to the console; a service wants them in its log.
 * Its warnings go to `debug` (they are mostly chatter about peers), its errors to `warn`.
 */
export function routeNodeOpcuaLogs(logger: Logger): void {
  const child = logger.child({ component: "node-opcua" });
  const toText = (args: unknown[]) => {
    const [first, ...rest] = args;
    const isContext = typeof first === "object" && first !== null && "filename" in first;
    const context = isContext ? (first as { filename: string; callerline: number }) : undefined;
    const words = (isContext ? rest : args).map((a) =>
      typeof a === "string" ? a : formatWithOptions({ depth: 2 }, a),
    );
    return {
      where: context ? `${basename(context.filename)}:${context.callerline}` : undefined,
      text: words.join(" "),
    };
  };
  setWarningLogger((...args: unknown[]) => {
    const { where, text } = toText(args);
    child.debug({ where }, text);
  });
  setErrorLogger((...args: unknown[]) => {
    const { where, text } = toText(args);
    child.warn({ where }, text);
  });
}
