/** Real SMTP servers on 127.0.0.1 (the smtp-server package) that keep what they receive. */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message (headers and body). */
  raw: string;
  receivedAt: number;
}

export interface TestSmtp {
  port: number;
  mails: ReceivedMail[];
  /** Authentication attempts (user names) seen. */
  logins: string[];
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  /** Refuse every login with 535 (a server that does not take our mail). */
  refuseAuth?: boolean;
  /** The only user/password accepted (default: any). */
  credentials?: { user: string; pass: string };
}

export async function startSmtp(options: TestSmtpOptions = {}): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push(auth.username ?? "");
      const c = options.credentials;
      if (options.refuseAuth || (c && (auth.username !== c.user || auth.password !== c.pass))) {
        const error = Object.assign(new Error("Invalid username or password"), { responseCode: 535 });
        callback(error);
        return;
      }
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      let raw = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        raw += chunk;
      });
      stream.on("end", () => {
        const from = session.envelope.mailFrom;
        mails.push({
          from: from ? from.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          receivedAt: Date.now(),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function decodeQuotedPrintable(text: string, underscoreIsSpace = false): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === "=" ? /^[0-9A-Fa-f]{2}$/.exec(text.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(Number.parseInt(hex[0], 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(underscoreIsSpace && text[i] === "_" ? " " : text[i]!, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** A received message taken apart: headers (unfolded, encoded words decoded) and the decoded body. */
export function parseMail(raw: string): { headers: Record<string, string>; subject: string; body: string } {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const value = line
      .slice(colon + 1)
      .trim()
      .replace(/\?=\s+=\?/g, "?==?")
      .replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, word: string) => decodeQuotedPrintable(word, true));
    headers[line.slice(0, colon).toLowerCase()] = value;
  }
  const body = decodeQuotedPrintable(raw.slice(split + 4).replace(/=\r?\n/g, ""));
  return { headers, subject: headers.subject ?? "", body };
}
