/**
 * Which endpoint of a discovered server the gateway's link should use: the most secure one the
 * configuration schema knows (SignAndEncrypt before Sign, then the server's securityLevel), None
 * only when the server offers nothing else — and the user token the link needs there.
 */
import type { EndpointSummary } from "../discovery/discover.ts";

const KNOWN_POLICIES = ["Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"];

export interface ChosenEndpoint {
  policy: string;
  mode: string;
  /** Anonymous accepted there: no upstream user needed. */
  anonymous: boolean;
  /** A user name and password token accepted there. */
  userName: boolean;
}

export function chooseSecureEndpoint(endpoints: readonly EndpointSummary[]): ChosenEndpoint | undefined {
  const rank = (e: EndpointSummary) =>
    (e.securityMode === "SignAndEncrypt" ? 2000 : e.securityMode === "Sign" ? 1000 : 0) + e.securityLevel;
  const usable = endpoints
    .filter((e) => e.securityMode === "None" || KNOWN_POLICIES.includes(e.securityPolicy))
    .sort((a, b) => rank(b) - rank(a));
  const best = usable[0];
  if (!best) return undefined;
  return {
    policy: best.securityPolicy,
    mode: best.securityMode,
    anonymous: best.userTokenTypes.includes("Anonymous"),
    userName: best.userTokenTypes.includes("UserName"),
  };
}
