/**
 * Redundant SMTP: the configured servers are tried in order and the first that accepts the mail
 * wins. Every failure is returned as a readable line (server, what failed) without the password.
 */
import { readFile } from "node:fs/promises";
import { createTransport } from "nodemailer";
import type { SmtpServerConfig } from "../config/schema-notifications.ts";
import { RedundancyError } from "../errors.ts";

export interface OutgoingMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

export interface SendAttempt {
  /** host:port */
  server: string;
  error: string | null;
}

export interface SendResult {
  /** The server that accepted the mail (null: none did). */
  acceptedBy: string | null;
  attempts: SendAttempt[];
}

export function serverLabel(server: SmtpServerConfig): string {
  return `${server.host}:${portOf(server)}`;
}

function portOf(server: SmtpServerConfig): number {
  return server.port ?? (server.secure ? 465 : 587);
}

async function passwordOf(server: SmtpServerConfig): Promise<string | undefined> {
  const auth = server.auth;
  if (!auth) return undefined;
  if (auth.pass !== undefined) return auth.pass;
  if (auth.passFile !== undefined) {
    try {
      return (await readFile(auth.passFile, "utf8")).replace(/\r?\n$/, "");
    } catch (error) {
      throw new RedundancyError(
        "ERR_MAIL",
        `cannot read passFile ${auth.passFile} (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  const value = auth.passEnv === undefined ? undefined : process.env[auth.passEnv];
  if (value === undefined)
    throw new RedundancyError("ERR_MAIL", `environment variable ${auth.passEnv} is not set`);
  return value;
}

/** A failure line that never carries the password, even if a server echoes it back. */
function describeFailure(error: unknown, password: string | undefined): string {
  const e = error as { message?: string; code?: string; responseCode?: number; response?: string };
  let text = e.response ?? e.message ?? String(error);
  if (e.code && !text.includes(e.code)) text = `${e.code}: ${text}`;
  if (password) text = text.split(password).join("***");
  return text.replace(/\s+/g, " ").trim();
}

async function sendVia(server: SmtpServerConfig, mail: OutgoingMail): Promise<void> {
  const pass = await passwordOf(server);
  const ca = server.tls?.caFile ? await readFile(server.tls.caFile, "utf8") : undefined;
  const transport = createTransport({
    host: server.host,
    port: portOf(server),
    secure: server.secure,
    requireTLS: server.requireTls,
    auth: server.auth ? { user: server.auth.user, pass } : undefined,
    tls: {
      rejectUnauthorized: server.tls?.rejectUnauthorized ?? true,
      ...(server.tls?.servername ? { servername: server.tls.servername } : {}),
      ...(server.tls?.minVersion ? { minVersion: server.tls.minVersion } : {}),
      ...(ca ? { ca } : {}),
    },
    connectionTimeout: server.timeoutMs,
    greetingTimeout: server.timeoutMs,
    socketTimeout: server.timeoutMs,
  });
  try {
    await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      date: new Date(),
    });
  } catch (error) {
    throw new RedundancyError("ERR_MAIL", describeFailure(error, pass));
  } finally {
    transport.close();
  }
}

/** Tries each server in order until one accepts; never throws. */
export async function sendMail(
  servers: readonly SmtpServerConfig[],
  mail: OutgoingMail,
): Promise<SendResult> {
  const attempts: SendAttempt[] = [];
  for (const server of servers) {
    const label = serverLabel(server);
    try {
      await sendVia(server, mail);
      attempts.push({ server: label, error: null });
      return { acceptedBy: label, attempts };
    } catch (error) {
      const message = error instanceof RedundancyError ? error.message : describeFailure(error, undefined);
      attempts.push({ server: label, error: message });
    }
  }
  return { acceptedBy: null, attempts };
}
