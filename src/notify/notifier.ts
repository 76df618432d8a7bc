/**
 * E-mail notifications: diagnostics events mailed to the recipients who chose their kind, through
 * the first SMTP server that accepts, with a per-recipient budget that turns a storm into a digest.
 * Sending is in the background and never throws: a mail failure never affects redundancy; it
 * becomes a `mail` event (which is never mailed itself, so a dead SMTP server cannot cause a loop).
 */
import { type Clock, systemClock } from "../clock.ts";
import type { NotificationsConfig } from "../config/schema-notifications.ts";
import type { DiagnosticEvent, EventInput } from "../diagnostics/event.ts";
import { type Logger, silentLogger } from "../log.ts";
import { digestMail, singleMail, testMail } from "./compose.ts";
import { MailBudget } from "./mail-budget.ts";
import { type OutgoingMail, type SendResult, sendMail } from "./smtp-sender.ts";

export interface NotifierOptions {
  /** Where mail problems go (the event log). */
  record(event: EventInput): void;
  clock?: Clock;
  logger?: Logger;
  /** Replaces SMTP sending (for measuring the budget without a server). */
  send?: (mail: OutgoingMail) => Promise<SendResult>;
}

interface Recipient {
  address: string;
  kinds: ReadonlySet<string>;
  budget: MailBudget<DiagnosticEvent>;
}

export class Notifier {
  readonly #config: NotificationsConfig;
  readonly #options: NotifierOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #recipients: Recipient[];
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Mails handed to SMTP so far (accepted or not). */
  mailsSent = 0;

  constructor(config: NotificationsConfig, options: NotifierOptions) {
    this.#config = config;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#recipients = config.recipients.map((r) => ({
      address: r.address,
      kinds: new Set(r.kinds),
      budget: new MailBudget<DiagnosticEvent>(config.digest),
    }));
  }

  /** An event of the log: mailed (now or in a digest) to every recipient who wants its kind. */
  notify(event: DiagnosticEvent): void {
    if (this.#closed || event.kind === "mail") return;
    const now = this.#clock.now();
    for (const recipient of this.#recipients) {
      if (!recipient.kinds.has(event.kind)) continue;
      const offer = recipient.budget.offer(event, now);
      if ("send" in offer) this.#send(recipient.address, singleMail(offer.send));
    }
    this.#schedule();
  }

  /** `test-email`: one test message to every recipient, whatever their kinds; waits for the result. */
  async sendTest(): Promise<SendResult> {
    const content = testMail(new Date(this.#clock.now()));
    return this.#deliver(
      this.#recipients.map((r) => r.address),
      content,
    );
  }

  /** Waits for the mails being sent (not the digests still held). */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.flush();
  }

  #send(address: string, content: { subject: string; text: string }): void {
    const job = this.#deliver([address], content).then(
      () => undefined,
      (error: unknown) => this.#logger.error({ err: error }, "notification mail failed unexpectedly"),
    );
    this.#inFlight.add(job);
    void job.finally(() => this.#inFlight.delete(job));
  }

  async #deliver(to: string[], content: { subject: string; text: string }): Promise<SendResult> {
    this.mailsSent++;
    const mail: OutgoingMail = { from: this.#config.from, to, ...content };
    const result = await (this.#options.send ?? ((m) => sendMail(this.#config.smtp, m)))(mail);
    const failures = result.attempts.filter((a) => a.error !== null);
    for (const failure of failures) {
      this.#record(
        `SMTP server ${failure.server} did not take the mail to ${to.join(", ")}: ${failure.error}`,
        {
          server: failure.server,
          to,
          error: failure.error,
        },
      );
    }
    if (result.acceptedBy === null) {
      this.#record(`mail "${content.subject}" to ${to.join(", ")} not sent: no SMTP server accepted it`, {
        to,
      });
    } else if (failures.length > 0) {
      this.#record(
        `mail to ${to.join(", ")} sent through ${result.acceptedBy} after ${failures.length} failure(s)`,
        {
          server: result.acceptedBy,
          to,
        },
      );
    }
    return result;
  }

  #record(message: string, details: Record<string, unknown>): void {
    this.#logger.warn(details, message);
    try {
      this.#options.record({ kind: "mail", message, details });
    } catch (error) {
      this.#logger.error({ err: error }, "cannot record a mail event");
    }
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const due = this.#recipients.map((r) => r.budget.dueAt()).filter((t): t is number => t !== null);
    if (due.length === 0 || this.#closed) return;
    const at = Math.min(...due);
    this.#timer = setTimeout(() => this.#sendDigests(), Math.max(0, at - this.#clock.now()));
    this.#timer.unref();
  }

  #sendDigests(): void {
    this.#timer = null;
    const now = this.#clock.now();
    for (const recipient of this.#recipients) {
      const held = recipient.budget.takeDigest(now);
      if (held.length > 0) this.#send(recipient.address, digestMail(held, new Date(now)));
    }
    this.#schedule();
  }
}
