/**
 * The subscriptions one link's data items live on. A server may limit the monitored items of one
 * subscription (ServerCapabilities.MaxMonitoredItemsPerSubscription; node-opcua servers: 100,000
 * by default) and answer BadTooManyMonitoredItems beyond it, stated or not: the items then spread
 * over further subscriptions on the same session, opened as they are needed. node-opcua re-creates
 * (or transfers) every subscription of a session itself after a reconnect, so each keeps its items.
 */
import type { ClientSubscription } from "node-opcua";

interface Member {
  subscription: ClientSubscription;
  /** Items on it or being created on it (places reserved by a batch in flight). */
  used: number;
  /** Learnt from a refusal: this subscription takes no more (its limit is lower than stated). */
  full: boolean;
}

/** Places on one subscription, reserved for one CreateMonitoredItems batch. */
export interface Reservation {
  subscription: ClientSubscription;
  places: number;
}

export class SubscriptionPool {
  readonly #members: Member[] = [];
  readonly #open: () => Promise<ClientSubscription>;
  readonly #onOpened: (subscription: ClientSubscription) => void;
  #opening: Promise<Member | null> | null = null;
  /** Bumped by `reset`: a subscription opened for an older attachment is not kept. */
  #epoch = 0;
  /** Items per subscription the server states (0: none stated). */
  limit = 0;

  /**
   * `open` creates one more subscription on the link's session (rejects when it cannot);
   * `onOpened` is told of each one (the link watches its sequence numbers).
   */
  constructor(open: () => Promise<ClientSubscription>, onOpened: (subscription: ClientSubscription) => void) {
    this.#open = open;
    this.#onOpened = onOpened;
  }

  /** Every subscription carrying items, the link's own first. */
  get subscriptions(): ClientSubscription[] {
    return this.#members.map((m) => m.subscription);
  }

  /** The link's own subscription, already holding `used` items of its own (health items). */
  reset(main: ClientSubscription | null, used = 0): ClientSubscription[] {
    this.#epoch++;
    this.#opening = null;
    const extras = this.#members
      .splice(0)
      .slice(1)
      .map((m) => m.subscription);
    if (main) this.#members.push({ subscription: main, used, full: false });
    return extras;
  }

  /**
   * Up to `wanted` places on one subscription with room, opening a new one when every subscription
   * is full; null when none could be opened (the connection is gone: creation is retried later).
   */
  async reserve(wanted: number): Promise<Reservation | null> {
    const epoch = this.#epoch;
    for (;;) {
      const member = this.#members.find((m) => this.#room(m) > 0);
      if (member) {
        const places = Math.min(wanted, this.#room(member));
        member.used += places;
        return { subscription: member.subscription, places };
      }
      if (this.#members.length === 0) return null;
      this.#opening ??= this.#openOne(epoch);
      const opened = await this.#opening;
      if (epoch !== this.#epoch || !opened) return null;
    }
  }

  /** `count` places on `subscription` are free again (items refused or deleted). */
  release(subscription: ClientSubscription, count: number): void {
    const member = this.#members.find((m) => m.subscription === subscription);
    if (member) member.used = Math.max(0, member.used - count);
  }

  /**
   * The server answered BadTooManyMonitoredItems on `subscription` although `refused` places were
   * still reserved there: it takes no more. Returns whether the items should be tried elsewhere —
   * false when it held none (the server's limit over all subscriptions is reached, not this one's).
   */
  refusedAsFull(subscription: ClientSubscription, refused: number): boolean {
    const member = this.#members.find((m) => m.subscription === subscription);
    if (!member) return false;
    member.used = Math.max(0, member.used - refused);
    if (member.used === 0) return false;
    member.full = true;
    return true;
  }

  #room(member: Member): number {
    if (member.full) return 0;
    return this.limit > 0 ? this.limit - member.used : Number.POSITIVE_INFINITY;
  }

  async #openOne(epoch: number): Promise<Member | null> {
    try {
      const subscription = await this.#open();
      if (epoch !== this.#epoch) {
        void subscription.terminate().catch(() => undefined);
        return null;
      }
      const member: Member = { subscription, used: 0, full: false };
      this.#members.push(member);
      this.#onOpened(subscription);
      return member;
    } catch {
      return null;
    } finally {
      if (epoch === this.#epoch) this.#opening = null;
    }
  }
}
