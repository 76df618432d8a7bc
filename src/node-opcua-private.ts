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
 */
import {
  type ClientMonitoredItemBase,
  type ClientMonitoredItemGroup,
  ClientSecureChannelLayer,
  type ClientSession,
  type ClientSessionRawSubscriptionService,
  type ClientSubscription,
  type DataValue,
  type IClientTransport,
  type MonitoringMode,
  type Namespace,
  type OPCUAClient,
  OPCUAServer,
  type ServerSecureChannelLayer,
  type UAVariable,
} from "node-opcua";
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
