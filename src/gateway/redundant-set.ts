/**
 * What one gateway instance makes of `redundantSet` (config/schema-redundant-set.ts): which peer it
 * is, which pairs it serves (the peer's `pairs`, narrowed by `start --only-pairs`), and, per pair,
 * the set of instances serving that pair in preference order with their ServerUris and endpoints.
 */

import type { GatewayConfig, PairConfig } from "../config/schema.ts";
import type { PeerConfig, RedundantSetConfig } from "../config/schema-redundant-set.ts";
import { RedundancyError } from "../errors.ts";

/** How this process was told to run: `start --instance NAME --only-pairs a,b`. */
export interface InstanceSelection {
  /** This instance's peer name (default: redundantSet.self). */
  name?: string;
  /** Serve only these pairs (sharding without a `peers[].pairs` list). */
  onlyPairs?: readonly string[];
}

/** One instance of a pair's redundant set. */
export interface SetMember {
  name: string;
  /** The ApplicationUri of that instance's server for the pair (its entry in ServerUriArray). */
  applicationUri: string;
  endpointUrl: string;
}

/** A pair's redundant set as this instance presents it. */
export interface PairSetView {
  /** Every instance serving the pair, preference order (first = primary). */
  members: readonly SetMember[];
  /** This instance's place in `members`. */
  selfIndex: number;
}

/** The ApplicationUri of pair `pairName`'s server on the instance whose base URI is `base`. */
export function pairApplicationUri(base: string, pairName: string): string {
  return `${base}:${pairName}`;
}

/** The peer this process is (null without redundantSet); an unknown name is an error. */
export function selfPeer(config: GatewayConfig, selection: InstanceSelection = {}): PeerConfig | null {
  const set = config.redundantSet;
  const name = selection.name ?? set?.self;
  if (!set) {
    if (selection.name !== undefined)
      throw new RedundancyError("ERR_CONFIG_INVALID", "--instance needs a redundantSet in the configuration");
    return null;
  }
  if (name === undefined)
    throw new RedundancyError(
      "ERR_CONFIG_INVALID",
      `redundantSet: which instance is this one? Set redundantSet.self or start --instance NAME (one of ${set.peers.map((p) => p.name).join(", ")})`,
    );
  const peer = set.peers.find((p) => p.name === name);
  if (!peer)
    throw new RedundancyError(
      "ERR_CONFIG_INVALID",
      `no peer named "${name}" in redundantSet.peers (${set.peers.map((p) => p.name).join(", ")})`,
    );
  return peer;
}

/** The pairs `peer` serves. */
export function peerPairs(peer: PeerConfig, config: GatewayConfig): readonly string[] {
  return peer.pairs ?? config.pairs.map((p) => p.name);
}

/**
 * The configuration this instance runs: only the pairs it serves. An `--only-pairs` name that is not
 * a configured pair (or not one of this peer's) is an error, never a silently empty gateway.
 */
export function selectInstancePairs(config: GatewayConfig, selection: InstanceSelection = {}): GatewayConfig {
  const peer = selfPeer(config, selection);
  let names = peer ? peerPairs(peer, config) : config.pairs.map((p) => p.name);
  if (selection.onlyPairs) {
    const unknown = selection.onlyPairs.filter((n) => !names.includes(n));
    if (unknown.length > 0)
      throw new RedundancyError(
        "ERR_CONFIG_INVALID",
        `--only-pairs: no pair ${unknown.map((n) => `"${n}"`).join(", ")} ${peer ? `served by instance ${peer.name}` : "in the configuration"} (${names.join(", ")})`,
      );
    names = selection.onlyPairs;
  }
  if (names.length === config.pairs.length) return config;
  const pairs = config.pairs.filter((p) => names.includes(p.name));
  return Object.freeze({ ...config, pairs });
}

function endpointOf(peer: PeerConfig, pair: PairConfig): string {
  const configured = peer.endpoints[pair.name];
  if (configured) return configured;
  return `opc.tcp://${peer.host}:${pair.listen?.port}`;
}

/** The redundant set of `pair` seen from `self` (null: no set, or this instance alone serves it). */
export function pairSetView(
  set: RedundantSetConfig | undefined,
  self: PeerConfig | null,
  pair: PairConfig,
  allPairs: readonly string[],
): PairSetView | null {
  if (!set || !self) return null;
  const members = set.peers
    .filter((peer) => (peer.pairs ?? allPairs).includes(pair.name))
    .map((peer) => ({
      name: peer.name,
      applicationUri: pairApplicationUri(peer.applicationUri, pair.name),
      endpointUrl: endpointOf(peer, pair),
    }));
  const selfIndex = members.findIndex((m) => m.name === self.name);
  if (members.length < 2 || selfIndex < 0) return null;
  return { members, selfIndex };
}
