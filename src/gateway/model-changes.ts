/**
 * Live upstream address-space changes (OPC UA Part 3 §9.32, Part 5 §6.4.32): the mirror follows
 * the upstream while the gateway runs. A change is noticed by
 * - the upstream's GeneralModelChangeEvents (model-change-events.ts),
 * - the NodeVersion property of a mirrored node changing upstream (a server that has NodeVersion
 *   bumps it whenever references of the node change, and raises its GeneralModelChangeEvent then),
 * - a failover (the new active server's address space may differ),
 * - the periodic re-browse `addressSpace.rebrowseMs` (for servers that do neither; default off);
 * and applied as the difference between the mirrored snapshot and a new one: removed nodes are
 * deleted (their downstream monitored items get BadNodeIdUnknown first, reads answer
 * BadNodeIdUnknown), changed attributes are set in place, added nodes are built, in chunks of 500
 * nodes between turns of the event loop. Downstream clients get a GeneralModelChangeEvent from the
 * Server object naming every node added and deleted, so that they re-browse.
 */
import {
  type AddressSpace,
  DataType,
  type DataValue,
  NodeId,
  StatusCodes,
  type UAVariable,
  VariantArrayType,
} from "node-opcua";
import type { MonitorHandle } from "../client/types.ts";
import type { Logger } from "../log.ts";
import type { MirrorIndex } from "./address-mirror.ts";
import { UpstreamModelEvents } from "./model-change-events.ts";
import type { NamespaceMap } from "./namespace-map.ts";
import type { PairEngine } from "./pair-engine.ts";
import { type AddressSnapshot, type SnapshotNode, takeSnapshot } from "./snapshot.ts";

/** What the follower needs from the pair server. */
export interface ModelHost {
  addressSpace(): AddressSpace | null;
  /** The snapshot the mirror was last built from, and the map it was built with. */
  current(): { snapshot: AddressSnapshot; map: NamespaceMap; mirror: MirrorIndex } | null;
  /** Builds what `snapshot` has and the mirror has not, binds it, caches the snapshot. */
  install(snapshot: AddressSnapshot, source: string): Promise<void>;
  /** Stops the upstream monitor of a variable that is going away. */
  forget(variable: UAVariable): void;
}

export interface ModelChangeReport {
  reason: string;
  added: number;
  removed: number;
  changed: number;
  ms: number;
}

const CHUNK = 500;
/** Changes noticed within this long are applied together (one re-browse for a burst). */
const DEBOUNCE_MS = 200;
const ModelChangeStructureType = new NodeId(NodeId.NodeIdType.NUMERIC, 877, 0);
const VERB = { NodeAdded: 1, NodeDeleted: 2 } as const;

/** A node whose identity changed: rebuilt (deleted and added) rather than updated in place. */
function structural(a: SnapshotNode, b: SnapshotNode): boolean {
  return (
    a.nodeClass !== b.nodeClass ||
    a.parent !== b.parent ||
    a.referenceType !== b.referenceType ||
    a.typeDefinition !== b.typeDefinition ||
    a.dataType !== b.dataType ||
    a.valueRank !== b.valueRank ||
    JSON.stringify(a.dataTypeDefinition) !== JSON.stringify(b.dataTypeDefinition) ||
    JSON.stringify(a.inputArguments) !== JSON.stringify(b.inputArguments) ||
    JSON.stringify(a.outputArguments) !== JSON.stringify(b.outputArguments)
  );
}

const IN_PLACE = [
  "displayName",
  "description",
  "accessLevel",
  "userAccessLevel",
  "minimumSamplingInterval",
  "historizing",
] as const;

export function diffSnapshots(before: AddressSnapshot, after: AddressSnapshot) {
  const old = new Map(before.nodes.map((n) => [n.nodeId, n]));
  const now = new Map(after.nodes.map((n) => [n.nodeId, n]));
  const removed: SnapshotNode[] = [];
  const changed: { from: SnapshotNode; to: SnapshotNode }[] = [];
  for (const node of before.nodes) {
    const next = now.get(node.nodeId);
    if (!next || structural(node, next)) removed.push(node);
    else if (IN_PLACE.some((key) => node[key] !== next[key])) changed.push({ from: node, to: next });
  }
  const gone = new Set(removed.map((n) => n.nodeId));
  const added = after.nodes.filter((n) => !old.has(n.nodeId) || gone.has(n.nodeId));
  return { removed, changed, added };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

export class ModelFollower {
  readonly #host: ModelHost;
  readonly #engine: PairEngine;
  readonly #logger: Logger;
  readonly #rebrowseMs: number;
  #interval: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #reasons = new Set<string>();
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  /** Upstream NodeVersion properties watched: upstream NodeId → handle and last value. */
  readonly #versions = new Map<string, { handle: MonitorHandle; value: unknown }>();
  readonly #onFailover = () => this.request("failover");
  /** Every applied change (for tests and the benchmark). */
  readonly applied: ModelChangeReport[] = [];
  /** The upstream's GeneralModelChangeEvents (model-change-events.ts). */
  readonly events: UpstreamModelEvents;

  constructor(host: ModelHost, engine: PairEngine, logger: Logger, rebrowseMs: number) {
    this.#host = host;
    this.#engine = engine;
    this.#logger = logger;
    this.#rebrowseMs = rebrowseMs;
    this.events = new UpstreamModelEvents(
      () => engine.activeSession(),
      () => this.request("GeneralModelChangeEvent"),
      logger,
    );
  }

  /** After the first mirror from the upstream. */
  start(): void {
    this.#engine.on("failover", this.#onFailover);
    if (this.#rebrowseMs > 0)
      this.#interval = setInterval(() => this.request("periodic re-browse"), this.#rebrowseMs);
    this.#watchVersions();
    this.events.start();
  }

  stop(): void {
    this.#stopped = true;
    this.events.stop();
    this.#engine.off("failover", this.#onFailover);
    clearInterval(this.#interval);
    clearTimeout(this.#debounce);
    for (const { handle } of this.#versions.values()) handle.stop();
    this.#versions.clear();
  }

  /** Re-browse soon (several requests close together make one). */
  request(reason: string): void {
    if (this.#stopped) return;
    this.#reasons.add(reason);
    if (this.#debounce) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      if (this.#running) {
        this.#again = true;
        return;
      }
      this.#running = this.#run().finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.request("changes during the last re-browse");
        }
      });
    }, DEBOUNCE_MS);
  }

  /** Resolves when no re-browse is pending or running (tests). */
  async settled(): Promise<void> {
    while (this.#debounce || this.#running) {
      await (this.#running ?? new Promise((resolve) => setTimeout(resolve, DEBOUNCE_MS)));
    }
  }

  async #run(): Promise<void> {
    const reason = [...this.#reasons].join(", ");
    this.#reasons.clear();
    const started = Date.now();
    try {
      const snapshot = await takeSnapshot(this.#engine);
      const report = await this.apply(snapshot, reason);
      if (report) this.#logger.info(report, "upstream address-space change applied");
    } catch (error) {
      this.#logger.warn({ err: error, reason, ms: Date.now() - started }, "re-browse of the upstream failed");
    }
  }

  /** Applies the difference between the mirror and `snapshot`; null when there is none. */
  async apply(snapshot: AddressSnapshot, reason: string): Promise<ModelChangeReport | null> {
    const started = Date.now();
    const current = this.#host.current();
    const addressSpace = this.#host.addressSpace();
    if (!current || !addressSpace || this.#stopped) return null;
    const { removed, changed, added } = diffSnapshots(current.snapshot, snapshot);
    if (removed.length + changed.length + added.length === 0) return null;
    const { map, mirror } = current;
    const events: { affected: NodeId; affectedType: NodeId | null; verb: number }[] = [];
    // children before parents: the snapshot lists parents first
    for (const [i, node] of [...removed].reverse().entries()) {
      if (i > 0 && i % CHUNK === 0) await turn();
      const id = map.toDownstream(node.nodeId);
      const key = id.toString();
      const mirrored = mirror.variables.get(key);
      if (mirrored) {
        // downstream monitored items hear it before the node goes
        mirrored.variable.setValueFromSource({ dataType: DataType.Null }, StatusCodes.BadNodeIdUnknown);
        this.#host.forget(mirrored.variable);
      }
      mirror.variables.delete(key);
      mirror.methods.delete(key);
      mirror.nodes.delete(key);
      const built = addressSpace.findNode(id);
      if (built) {
        try {
          addressSpace.deleteNode(built);
        } catch (error) {
          this.#logger.warn({ err: error, nodeId: key }, "cannot delete a node the upstream removed");
        }
      }
      events.push({ affected: id, affectedType: null, verb: VERB.NodeDeleted });
    }
    for (const { to } of changed) this.#updateInPlace(addressSpace, map, to);
    await this.#host.install(snapshot, reason);
    for (const node of added) {
      events.push({
        affected: map.toDownstream(node.nodeId),
        affectedType: node.typeDefinition ? map.toDownstream(node.typeDefinition) : null,
        verb: VERB.NodeAdded,
      });
    }
    this.#announce(addressSpace, events);
    this.#watchVersions();
    const report = {
      reason,
      added: added.length,
      removed: removed.length,
      changed: changed.length,
      ms: Date.now() - started,
    };
    this.applied.push(report);
    return report;
  }

  #updateInPlace(addressSpace: AddressSpace, map: NamespaceMap, node: SnapshotNode): void {
    const built = addressSpace.findNode(map.toDownstream(node.nodeId));
    if (!built) return;
    built.setDisplayName({ text: node.displayName });
    built.setDescription(node.description === undefined ? null : { text: node.description });
    if (node.nodeClass !== "Variable") return;
    const variable = built as UAVariable;
    if (node.accessLevel !== undefined) variable.accessLevel = node.accessLevel;
    if (node.userAccessLevel !== undefined) variable.userAccessLevel = node.userAccessLevel;
    if (node.minimumSamplingInterval !== undefined)
      variable.minimumSamplingInterval = node.minimumSamplingInterval;
    if (node.historizing !== undefined) variable.historizing = node.historizing;
  }

  /** One GeneralModelChangeEvent from the Server object (standard namespace-0 NodeIds in `changes`). */
  #announce(
    addressSpace: AddressSpace,
    events: { affected: NodeId; affectedType: NodeId | null; verb: number }[],
  ) {
    if (events.length === 0) return;
    const changes = events.map((e) =>
      addressSpace.constructExtensionObject(ModelChangeStructureType, {
        affected: e.affected,
        affectedType: e.affectedType ?? NodeId.nullNodeId,
        verb: e.verb,
      }),
    );
    addressSpace.rootFolder.objects.server.raiseEvent("GeneralModelChangeEventType", {
      changes: { dataType: DataType.ExtensionObject, arrayType: VariantArrayType.Array, value: changes },
    });
  }

  /** Watches the upstream NodeVersion property of every mirrored node that has one. */
  #watchVersions(): void {
    const current = this.#host.current();
    if (!current || this.#stopped) return;
    const wanted = new Set(
      current.snapshot.nodes
        .filter(
          (n) =>
            n.nodeClass === "Variable" &&
            n.browseName.name === "NodeVersion" &&
            n.browseName.namespaceIndex === 0,
        )
        .map((n) => n.nodeId),
    );
    for (const [id, watch] of this.#versions) {
      if (wanted.has(id)) continue;
      watch.handle.stop();
      this.#versions.delete(id);
    }
    for (const id of wanted) {
      if (this.#versions.has(id)) continue;
      const watch: { handle: MonitorHandle; value: unknown } = {
        handle: { nodeId: id, stop: () => undefined },
        value: undefined,
      };
      this.#versions.set(id, watch);
      watch.handle = this.#engine.monitor(id, {}, (value: DataValue) => {
        if (!value.statusCode.isGood()) return;
        const seen = value.value.value as unknown;
        const first = watch.value === undefined;
        if (!first && seen !== watch.value) this.request(`NodeVersion of ${id}`);
        watch.value = seen;
      });
    }
  }
}
