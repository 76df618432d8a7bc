/**
 * A link's ServiceLevel and ServerState as events: the link's `facts` event fires for every
 * change of what it knows (also up/down and monitors); `serverFacts` only when one of the two
 * server-stated facts changed, so that listeners (the status page's live channel) need not diff.
 */
import type { Clock } from "../clock.ts";
import type { UpstreamLink } from "../upstream/link.ts";
import type { ServerFactsEvent } from "./types.ts";

export function followServerFacts(
  link: UpstreamLink,
  clock: Clock,
  emit: (event: ServerFactsEvent) => void,
): void {
  let serverState: string | null = null;
  let serviceLevel: number | null = null;
  link.on("facts", (facts) => {
    const state = facts.serverState ?? null;
    const level = facts.serviceLevel ?? null;
    if (state === serverState && level === serviceLevel) return;
    serverState = state;
    serviceLevel = level;
    emit({
      server: link.settings.url,
      index: link.settings.index,
      serverState,
      serviceLevel,
      at: new Date(clock.now()),
    });
  });
}
