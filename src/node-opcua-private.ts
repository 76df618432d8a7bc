/**
 * node-opcua's private members, in one place. The product needs a few members that node-opcua
 * does not publish (in its typings or its documentation); every use goes through this module, so
 * that an upgrade has one file to review and `test/unit/node-opcua-private.test.ts` (one contract
 * per use) to run.
 *
 * Every member is checked before it is used: the prototype members once, when the first upstream
 * link is constructed (`checkNodeOpcuaPrivates`, also run by every accessor), the instance fields when the object first reaches us (a
 * session, a subscription, a transport, a variable: when a link connects or a pair starts). A
 * renamed or removed member is a `RedundancyError` `ERR_NODE_OPCUA_INTERNALS` then, never a
 * silent no-op later. node-opcua is pinned to an exact version (README, Development).
 *
 * No other file of src/ reaches node-opcua's private members (underscore or `$` members, members
 * outside its typings, prototype patches): test/unit/node-opcua-private-guard.test.ts checks it.
 */
import {
  type AddressSpace,
  type ClientMonitoredItemBase,
  type ClientMonitoredItemGroup,
  ClientSecureChannelLayer,
  type ClientSession,
  type ClientSessionRawSubscriptionService,
  type ClientSubscription,
  type ConditionInfo,
  type DataValue,
  type ExtensionObject,
  type HistoryReadResult,
  type IClientTransport,
  type ISessionContext,
  type MonitoredItemBase,
  type MonitoredItemCreateResult,
  type MonitoringMode,
  type Namespace,
  type NodeId,
  type OPCUAClient,
  OPCUAServer,
  type ServerEngine,
  type ServerSecureChannelLayer,
  type StatusCode,
  Subscription,
  type UADataType,
  type UAObject,
  type UAVariable,
  type Variant,
  type WriteValue,
} from "node-opcua";
import { PacketAssembler } from "node-opcua-packet-assembler";
import { RedundancyError } from "./errors.ts";

type Callback = (err: Error | null, response?: unknown) => void;
/** One request through the session: `(request, callback)`. */
export type Transaction = (request: unknown, callback: Callback) => void;

function missing(owner: string, member: string): RedundancyError {
  return new RedundancyError(
    "ERR_NODE_OPCUA_INTERNALS",
    `node-opcua changed: ${owner}.${member} is gone or has another type; this opcua-redundancy needs the node-opcua version it pins (README, Development)`,
  );
}

function expect(
  object: unknown,
  owner: string,
  member: string,
  type: "function" | "number" | "object",
): void {
  const value = (object as Record<string, unknown> | null | undefined)?.[member];
  const ok = type === "object" ? typeof value === "object" : typeof value === type;
  if (!ok) throw missing(owner, member);
}

let staticChecked = false;

/** The members found on node-opcua's exported classes; throws `ERR_NODE_OPCUA_INTERNALS`. */
export function checkNodeOpcuaPrivates(): void {
  if (staticChecked) return;
  expect(ClientSecureChannelLayer.prototype, "ClientSecureChannelLayer", "forceConnectionBreak", "function");
  expect(OPCUAServer.prototype, "OPCUAServer", "_on_CreateSessionRequest", "function");
  expect(Subscription.prototype, "Subscription", "preCreateMonitoredItem", "function");
  expect(PacketAssembler.prototype, "PacketAssembler", "emit", "function");
  staticChecked = true;
}

// ---- client side -------------------------------------------------------------------------------

interface SessionTransactions {
  performMessageTransaction: Transaction;
  _performMessageTransaction: Transaction;
}

/**
 * The session's two request entry points: `performMessageTransaction` (every request, when made)
 * and `_performMessageTransaction` (when it is sent, after node-opcua held it through a reconnect).
 * `wrap` receives node-opcua's functions and returns their replacements.
 */
export function wrapSessionTransactions(
  session: ClientSession,
  wrap: (original: { perform: Transaction; send: Transaction }) => {
    perform: Transaction;
    send: Transaction;
  },
): void {
  checkNodeOpcuaPrivates();
  expect(session, "ClientSession", "performMessageTransaction", "function");
  expect(session, "ClientSession", "_performMessageTransaction", "function");
  const target = session as unknown as SessionTransactions;
  const next = wrap({
    perform: target.performMessageTransaction.bind(session),
    send: target._performMessageTransaction.bind(session),
  });
  target.performMessageTransaction = next.perform;
  target._performMessageTransaction = next.send;
}

/**
 * node-opcua's hook run with a new session before it re-creates the subscriptions (after a server
 * restart); declared in its private client interface.
 */
export function setBeforeSubscriptionRecreate(
  client: OPCUAClient,
  hook: (session: ClientSession) => Promise<Error | undefined>,
): void {
  checkNodeOpcuaPrivates();
  (client as unknown as { beforeSubscriptionRecreate?: unknown }).beforeSubscriptionRecreate = hook;
}

/** A transport just created: it must carry the socket field that `resetTransportSocket` aborts. */
export function checkTransport(transport: IClientTransport): void {
  checkNodeOpcuaPrivates();
  if (!("_socket" in (transport as object))) throw missing("ClientTCP_transport", "_socket");
}

/** Abort the transport's TCP connection with an RST (the socket may already be gone). */
export function resetTransportSocket(transport: IClientTransport): void {
  const socket = (transport as unknown as { _socket?: { resetAndDestroy?(): void } | null })._socket;
  socket?.resetAndDestroy?.();
}

/**
 * Break the client's secure channel as node-opcua's own keep-alive manager does, so that the
 * ordinary reconnect path runs. A client without a channel (not connected) has nothing to break.
 */
export function breakSecureChannel(client: OPCUAClient): void {
  checkNodeOpcuaPrivates();
  const channel = (client as unknown as { _secureChannel?: ClientSecureChannelLayer | null })._secureChannel;
  channel?.forceConnectionBreak();
}

/** A subscription just created: the fields and methods the product uses on it. */
export function checkSubscription(subscription: ClientSubscription): void {
  checkNodeOpcuaPrivates();
  expect(subscription, "ClientSubscription", "lastSequenceNumber", "number");
  expect(subscription, "ClientSubscription", "monitoredItems", "object");
  expect(subscription, "ClientSubscription", "_removeGroup", "function");
  expect(subscription, "ClientSubscription", "_delete_monitored_items", "function");
  expect(subscription, "ClientSubscription", "_remove", "function");
}

/** The sequence number Republish starts from (+1): node-opcua's `lastSequenceNumber`. */
export function setLastSequenceNumber(subscription: ClientSubscription, value: number): void {
  (subscription as unknown as { lastSequenceNumber: number }).lastSequenceNumber = value;
}

/** The subscription's table of items (node-opcua re-creates these after a server restart). */
export function subscriptionItems(subscription: ClientSubscription): ClientMonitoredItemBase[] {
  const table = (subscription as unknown as { monitoredItems: Record<string, ClientMonitoredItemBase> })
    .monitoredItems;
  return Object.values(table);
}

/** The subscription's session, as the raw service interface (the typings say `ClientSession`). */
export function rawSubscriptionService(
  subscription: ClientSubscription,
): ClientSessionRawSubscriptionService {
  return subscription.session as unknown as ClientSessionRawSubscriptionService;
}

/** Sets the mode an item has (or is created with) without a request of its own. */
export function setItemMonitoringMode(item: ClientMonitoredItemBase, mode: MonitoringMode): void {
  const internals = item as unknown as { internalSetMonitoringMode?(mode: MonitoringMode): void };
  if (typeof internals.internalSetMonitoringMode !== "function")
    throw missing("ClientMonitoredItemBase", "internalSetMonitoringMode");
  internals.internalSetMonitoringMode(mode);
}

/** Removes an item whose creation failed from the subscription's table. */
export function terminateItem(item: ClientMonitoredItemBase): void {
  const internals = item as unknown as { _terminate_and_emit?(error?: Error): void };
  if (typeof internals._terminate_and_emit !== "function")
    throw missing("ClientMonitoredItemBase", "_terminate_and_emit");
  internals._terminate_and_emit();
}

/** The subscription keeps every group (and so its items) until this is called. */
export function removeItemGroup(subscription: ClientSubscription, group: ClientMonitoredItemGroup): void {
  (subscription as unknown as { _removeGroup(group: ClientMonitoredItemGroup): void })._removeGroup(group);
}

/** node-opcua's own delete: one DeleteMonitoredItems, and the items out of the table (once only). */
export function deleteItems(
  subscription: ClientSubscription,
  items: ClientMonitoredItemBase[],
  done: (error?: Error) => void,
): void {
  const internals = subscription as unknown as {
    _delete_monitored_items(items: ClientMonitoredItemBase[], done: (error?: Error) => void): void;
  };
  internals._delete_monitored_items(items, done);
}

/**
 * Takes an item out of the subscription's table without a request (node-opcua's `_remove`): after
 * its DeleteMonitoredItems, or for an item the server never created.
 */
export function forgetItem(subscription: ClientSubscription, item: ClientMonitoredItemBase): void {
  const internals = subscription as unknown as { _remove?(item: ClientMonitoredItemBase): void };
  if (typeof internals._remove !== "function") throw missing("ClientSubscription", "_remove");
  internals._remove(item);
}

// ---- server side -------------------------------------------------------------------------------

/** A request as the server's handlers receive it. */
export type ServerMessage = Parameters<ServerSecureChannelLayer["send_response"]>[2];
type CreateSessionHandler = (message: ServerMessage, channel: ServerSecureChannelLayer) => Promise<void>;

/** Where node-opcua numbers the nodes it makes in a namespace (i=1000 and up by default). */
export function setNamespaceIdCounter(namespace: Namespace, next: number): void {
  checkNodeOpcuaPrivates();
  const manager = (namespace as unknown as { _nodeIdManager?: { _internal_id_counter?: number } })
    ._nodeIdManager;
  if (typeof manager?._internal_id_counter !== "number")
    throw missing("Namespace", "_nodeIdManager._internal_id_counter");
  manager._internal_id_counter = next;
}

/** A variable about to be bound: the members `cachedDataValue` and the two replacements use. */
export function checkVariable(variable: UAVariable): void {
  checkNodeOpcuaPrivates();
  expect(variable, "UAVariable", "$dataValue", "object");
  expect(variable, "UAVariable", "asyncRefresh", "function");
  expect(variable, "UAVariable", "writeValue", "function");
}

/** The variable's current DataValue object itself (node-opcua-server reads it the same way). */
export function cachedDataValue(variable: UAVariable): DataValue {
  return (variable as unknown as { $dataValue: DataValue }).$dataValue;
}

type Method = (this: UAVariable, ...args: never[]) => unknown;

/** Replaces one method of one variable (`asyncRefresh` or `writeValue`); `wrap` gets the original. */
export function replaceVariableMethod<F extends Method>(
  variable: UAVariable,
  member: "asyncRefresh" | "writeValue",
  wrap: (original: F) => F,
): void {
  const target = variable as unknown as Record<string, F>;
  if (typeof target[member] !== "function") throw missing("UAVariable", member);
  target[member] = wrap(target[member]);
}

/**
 * Runs `intercept` instead of node-opcua's CreateSession handler (dispatched by name,
 * `_on_<RequestName>`); `intercept` calls `original` to let a request through.
 */
export function interceptCreateSession(
  server: OPCUAServer,
  intercept: (
    original: CreateSessionHandler,
    message: ServerMessage,
    channel: ServerSecureChannelLayer,
  ) => Promise<void>,
): void {
  checkNodeOpcuaPrivates();
  const target = server as unknown as { _on_CreateSessionRequest: CreateSessionHandler };
  const original = target._on_CreateSessionRequest.bind(server);
  target._on_CreateSessionRequest = (message, channel) => intercept(original, message, channel);
}

type RequestHandler = (message: ServerMessage, channel: ServerSecureChannelLayer) => void;

/**
 * Serves Browse and BrowseNext requests `delayMs()` milliseconds late (0: at once), as a loaded
 * server does: node-opcua's handlers (dispatched by name, `_on_<RequestName>`) run after the delay.
 */
export function delayBrowseRequests(server: OPCUAServer, delayMs: () => number): void {
  // checked here, not in checkNodeOpcuaPrivates: only the simulator needs them, not every link
  expect(OPCUAServer.prototype, "OPCUAServer", "_on_BrowseRequest", "function");
  expect(OPCUAServer.prototype, "OPCUAServer", "_on_BrowseNextRequest", "function");
  const target = server as unknown as Record<"_on_BrowseRequest" | "_on_BrowseNextRequest", RequestHandler>;
  for (const member of ["_on_BrowseRequest", "_on_BrowseNextRequest"] as const) {
    const original = target[member].bind(server);
    target[member] = (message, channel) => {
      const ms = delayMs();
      if (ms > 0) setTimeout(() => original(message, channel), ms);
      else original(message, channel);
    };
  }
}

/**
 * Queues an EventFieldList into a downstream event item as it is (node-opcua's own event path,
 * `_enqueue_event`, after it evaluated a local event against the filter).
 */
export function enqueueEvent(item: MonitoredItemBase, fields: Variant[]): void {
  const internals = item as unknown as { _enqueue_event?(fields: Variant[]): void };
  if (typeof internals._enqueue_event !== "function") throw missing("MonitoredItem", "_enqueue_event");
  internals._enqueue_event(fields);
}

type PreCreate = (
  this: Subscription,
  ...args: unknown[]
) => { monitoredItem?: object | null; createResult: MonitoredItemCreateResult };
const createResults = new WeakMap<object, MonitoredItemCreateResult>();
let createResultsKept = false;

/**
 * From now on, remember the CreateMonitoredItems result of each downstream item: node-opcua makes
 * it in Subscription.preCreateMonitoredItem (wrapped once per process, behaviour unchanged), and
 * its onCreateMonitoredItem hook gets the item only. See `createResultOf`.
 */
export function keepCreateResults(): void {
  checkNodeOpcuaPrivates();
  if (createResultsKept) return;
  createResultsKept = true;
  const prototype = Subscription.prototype as unknown as { preCreateMonitoredItem: PreCreate };
  const original = prototype.preCreateMonitoredItem;
  prototype.preCreateMonitoredItem = function (this: Subscription, ...args: unknown[]) {
    const outcome = original.apply(this, args);
    if (outcome.monitoredItem) createResults.set(outcome.monitoredItem, outcome.createResult);
    return outcome;
  };
}

/** The create result node-opcua will answer for `item` (until the response is sent); see keepCreateResults. */
export function createResultOf(item: MonitoredItemBase): MonitoredItemCreateResult | undefined {
  return createResults.get(item);
}

/**
 * Gives `namespace` another URI in the address space's table (`_namespaceIndexByUri`) and on the
 * namespace itself (`namespaceUri`, read-only in the typings): its index stays.
 */
export function renameNamespace(addressSpace: AddressSpace, namespace: Namespace, uri: string): void {
  checkNodeOpcuaPrivates();
  const table = (addressSpace as unknown as { _namespaceIndexByUri?: unknown })._namespaceIndexByUri;
  if (!(table instanceof Map)) throw missing("AddressSpace", "_namespaceIndexByUri");
  table.delete(namespace.namespaceUri);
  table.set(uri, namespace.index);
  (namespace as { namespaceUri: string }).namespaceUri = uri;
}

/**
 * Sets a DataType's DataTypeDefinition (`$fullDefinition`, where node-opcua keeps the one it
 * computes for structures and enumerations): what its DataTypeDefinition attribute answers.
 */
export function setDataTypeDefinition(dataType: UADataType, definition: ExtensionObject): void {
  checkNodeOpcuaPrivates();
  expect(dataType, "UADataType", "getDefinition", "function");
  if (!("$fullDefinition" in dataType)) throw missing("UADataType", "$fullDefinition");
  (dataType as unknown as { $fullDefinition: ExtensionObject }).$fullDefinition = definition;
}

/** The part of node-opcua's ExtraDataTypeManager the gateway's structure codecs use. */
export interface DataTypeCodecs {
  getExtensionObjectConstructorFromBinaryEncoding(encoding: NodeId): new () => object;
}

/** The address space's DataTypeManager (its structure codecs; not in the AddressSpace typings). */
export function dataTypeManager(addressSpace: AddressSpace): DataTypeCodecs {
  checkNodeOpcuaPrivates();
  expect(addressSpace, "AddressSpace", "getDataTypeManager", "function");
  const manager = (addressSpace as unknown as { getDataTypeManager(): DataTypeCodecs }).getDataTypeManager();
  expect(manager, "ExtraDataTypeManager", "getExtensionObjectConstructorFromBinaryEncoding", "function");
  return manager;
}

/** One node's Write, as the server's Write service calls it per WriteValue. */
export type WriteNode = (context: ISessionContext, writeValue: WriteValue) => Promise<StatusCode>;

/**
 * Replaces the server's per-node Write (AddressSpaceAccessor.writeNode, which the Write service
 * calls for each WriteValue; not in IAddressSpaceAccessor); `wrap` gets the original. False when
 * the engine has no accessor (not started).
 */
export function replaceWriteNode(engine: ServerEngine, wrap: (original: WriteNode) => WriteNode): boolean {
  checkNodeOpcuaPrivates();
  const accessor = engine.addressSpaceAccessor as unknown as { writeNode: WriteNode } | null;
  if (!accessor) return false;
  expect(accessor, "AddressSpaceAccessor", "writeNode", "function");
  accessor.writeNode = wrap(accessor.writeNode.bind(accessor));
  return true;
}

/** What a HistoryRead of one node answers (the arguments as node-opcua passes them). */
export type NodeHistoryRead = (context: ISessionContext, details: unknown) => Promise<HistoryReadResult>;

/**
 * Serves HistoryRead on an Object (event history): node-opcua's Read service calls a node's
 * `historyRead` when it has one (UAObject does not, in its typings or otherwise).
 */
export function serveObjectHistory(object: UAObject, historyRead: NodeHistoryRead): void {
  checkNodeOpcuaPrivates();
  (object as unknown as { historyRead: NodeHistoryRead }).historyRead = historyRead;
}

/**
 * The Time a condition's next event carries (node-opcua stamps `new Date()` unless the
 * ConditionInfo that calculateConditionInfo returns has a `time`, which its typings do not list).
 */
export function stampConditionTime(info: ConditionInfo, time: Date): void {
  (info as ConditionInfo & { time?: Date }).time = time;
}

/**
 * Replaces the object a variable's bound extension object (`$extensionObject`, e.g. ServerStatus)
 * is served from; `wrap` gets the current one (e.g. to answer through a Proxy).
 */
export function replaceBoundExtensionObject(variable: UAVariable, wrap: (bound: object) => object): void {
  checkNodeOpcuaPrivates();
  const target = variable as unknown as { $extensionObject?: unknown };
  if (typeof target.$extensionObject !== "object" || target.$extensionObject === null)
    throw missing("UAVariable", "$extensionObject");
  target.$extensionObject = wrap(target.$extensionObject);
}

/**
 * Sets a variable's DataValue as it is, timestamps included (`_internal_set_dataValue`;
 * setValueFromSource makes the ServerTimestamp a copy of the source timestamp).
 */
export function setDataValueAsIs(variable: UAVariable, dataValue: DataValue): void {
  const internals = variable as unknown as { _internal_set_dataValue?(dataValue: DataValue): void };
  if (typeof internals._internal_set_dataValue !== "function")
    throw missing("UAVariable", "_internal_set_dataValue");
  internals._internal_set_dataValue(dataValue);
}

let assemblerErrorsGuarded = false;

/**
 * PacketAssembler errors nobody listens to any more are dropped instead of thrown (see
 * security/transport-hardening.ts): PacketAssembler.prototype.emit wrapped, once per process.
 */
export function dropUnheardAssemblerErrors(): void {
  checkNodeOpcuaPrivates();
  if (assemblerErrorsGuarded) return;
  assemblerErrorsGuarded = true;
  const emit = PacketAssembler.prototype.emit;
  PacketAssembler.prototype.emit = function guardedEmit(
    this: PacketAssembler,
    event: string | symbol,
    ...args: unknown[]
  ): boolean {
    if (event === "error" && this.listenerCount("error") === 0) return false;
    return emit.call(this, event, ...args);
  };
}
