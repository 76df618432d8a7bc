/** The text of notification mails: date and time in every message, one event per line. */
import type { DiagnosticEvent } from "../diagnostics/event.ts";
import { formatEvent } from "../diagnostics/event.ts";

const PREFIX = "[opcua-redundancy]";

function localTime(iso: string): string {
  return new Date(iso).toString();
}

export function singleMail(event: DiagnosticEvent): { subject: string; text: string } {
  const where = [event.pair, event.server].filter((x) => x !== null).join(" ");
  const subject = `${PREFIX} ${event.kind}${where ? ` ${where}` : ""}: ${event.message}`.slice(0, 200);
  const text = [
    `Date and time: ${event.at} (${localTime(event.at)})`,
    `Event:         ${event.kind} #${event.seq}`,
    `Pair:          ${event.pair ?? "-"}`,
    `Server:        ${event.server ?? "-"}`,
    "",
    event.message,
    ...(event.details ? ["", JSON.stringify(event.details, null, 2)] : []),
    "",
  ].join("\n");
  return { subject, text };
}

export function digestMail(events: readonly DiagnosticEvent[], now: Date): { subject: string; text: string } {
  const first = events[0]!;
  const last = events.at(-1)!;
  const kinds = [...new Set(events.map((e) => e.kind))].join(", ");
  const subject = `${PREFIX} digest: ${events.length} events (${kinds}) ${first.at} – ${last.at}`;
  const text = [
    `Date and time: ${now.toISOString()} (${now.toString()})`,
    `${events.length} events from ${first.at} to ${last.at}, gathered in one mail so that a storm does not flood you:`,
    "",
    ...events.map(formatEvent),
    "",
  ].join("\n");
  return { subject, text };
}

export function testMail(now: Date): { subject: string; text: string } {
  return {
    subject: `${PREFIX} test e-mail ${now.toISOString()}`,
    text: `Date and time: ${now.toISOString()} (${now.toString()})\n\nThis is a test e-mail from opcua-redundancy (test-email): notifications reach you.\n`,
  };
}
