/**
 * One contract per node-opcua private member the product uses (src/node-opcua-private.ts): each
 * case fails when the installed node-opcua renames, removes or changes the meaning of the member.
 * A real server and client on 127.0.0.1, in this process (the members are in-process objects).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AttributeIds,
  ClientMonitoredItem,
  ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSubscription,
  constructEventFilter,
  DataType,
  DataValue,
  type ExtensionObject,
  HistoryReadRequest,
  HistoryReadResult,
  LocalizedText,
  type MonitoredItem,
  MonitoringMode,
  type NotificationMessage,
  OPCUAClient,
  OPCUAServer,
  ReadEventDetails,
  resolveNodeId,
  SessionContext,
  StatusCodes,
  TimestampsToReturn,
  type UAVariable,
  Variant,
  WriteValue,
} from "node-opcua";
import { PacketAssembler } from "node-opcua-packet-assembler";
import { RedundancyError } from "../../src/errors.ts";
import {
  breakSecureChannel,
  cachedDataValue,
  checkNodeOpcuaPrivates,
  checkSubscription,
  checkTransport,
  checkVariable,
  createResultOf,
  dataTypeManager,
  delayBrowseRequests,
  deleteItems,
  dropUnheardAssemblerErrors,
  enqueueEvent,
  forgetItem,
  interceptCreateSession,
  keepCreateResults,
  rawSubscriptionService,
  removeItemGroup,
  renameNamespace,
  replaceBoundExtensionObject,
  replaceVariableMethod,
  replaceWriteNode,
  resetTransportSocket,
  serveObjectHistory,
  setBeforeSubscriptionRecreate,
  setDataTypeDefinition,
  setDataValueAsIs,
  setItemMonitoringMode,
  setLastSequenceNumber,
  setNamespaceIdCounter,
  stampConditionTime,
  subscriptionItems,
  terminateItem,
  wrapSessionTransactions,
} from "../../src/node-opcua-private.ts";
import { createSimulatorCertificateManagers } from "../../src/simulator/pki.ts";
import { TransportTracker } from "../../src/upstream/channel.ts";
import { waitFor, waitForEvent } from "../helpers/wait.ts";

test("node-opcua's private members behave as the product relies on", { timeout: 120_000 }, async (t) => {
  const pki = createSimulatorCertificateManagers();
  const server = new OPCUAServer({
    port: 0,
    host: "127.0.0.1",
    hostname: "127.0.0.1",
    serverCertificateManager: pki.server,
    userCertificateManager: pki.user,
  });
  const createSessions: string[] = [];
  interceptCreateSession(server, async (original, message, channel) => {
    createSessions.push(message.request.constructor.name);
    await original(message, channel);
  });
  let browseDelayMs = 0;
  delayBrowseRequests(server, () => browseDelayMs);
  await server.initialize();
  const namespace = server.engine.addressSpace!.getOwnNamespace();
  setNamespaceIdCounter(namespace, 0x7000_0000);
  const numbered = namespace.addObject({ browseName: "Numbered", organizedBy: "i=85" });
  const plain = namespace.addVariable({
    browseName: "Plain",
    nodeId: "s=Plain",
    organizedBy: "i=85",
    dataType: DataType.Int32,
    minimumSamplingInterval: 50,
    value: { dataType: DataType.Int32, value: 7 },
  });
  const bound = namespace.addVariable({
    browseName: "Bound",
    nodeId: "s=Bound",
    organizedBy: "i=85",
    dataType: DataType.Int32,
    minimumSamplingInterval: 50,
  });
  await server.start();
  const endpointUrl = server.getEndpointUrl();
  const transports = new TransportTracker();
  const client = OPCUAClient.create({
    endpointMustExist: false,
    transportFactory: transports,
    connectionStrategy: { maxRetry: 3, initialDelay: 100, maxDelay: 500 },
  });
  let session: ClientSession | undefined;
  t.after(async () => {
    await session?.close().catch(() => undefined);
    await client.disconnect();
    await server.shutdown(0);
  });

  await t.test("the static members are present (no ERR_NODE_OPCUA_INTERNALS)", () => {
    assert.doesNotThrow(() => checkNodeOpcuaPrivates());
  });

  await t.test("a missing member is a coded error, not a silent no-op", () => {
    assert.throws(
      () => setItemMonitoringMode({} as never, MonitoringMode.Reporting),
      (e: unknown) => e instanceof RedundancyError && e.code === "ERR_NODE_OPCUA_INTERNALS",
    );
    assert.throws(
      () => checkSubscription({ lastSequenceNumber: "x" } as never),
      (e: unknown) => e instanceof RedundancyError && e.code === "ERR_NODE_OPCUA_INTERNALS",
    );
    const coded = (e: unknown) => e instanceof RedundancyError && e.code === "ERR_NODE_OPCUA_INTERNALS";
    const none = {} as never;
    assert.throws(() => forgetItem(none, none), coded);
    assert.throws(() => enqueueEvent(none, []), coded);
    assert.throws(() => renameNamespace(none, { namespaceUri: "a", index: 1 } as never, "b"), coded);
    assert.throws(() => setDataTypeDefinition(none, none), coded);
    assert.throws(() => dataTypeManager(none), coded);
    assert.throws(() => replaceWriteNode({ addressSpaceAccessor: {} } as never, (own) => own), coded);
    assert.throws(() => replaceBoundExtensionObject(none, (bound) => bound), coded);
    assert.throws(() => setDataValueAsIs(none, new DataValue()), coded);
  });

  await t.test(
    "_on_CreateSessionRequest: dispatched by name, so the interception sees CreateSession",
    async () => {
      await client.connect(endpointUrl);
      session = await client.createSession();
      assert.deepEqual(createSessions, ["CreateSessionRequest"]);
    },
  );

  await t.test(
    "_on_BrowseRequest, _on_BrowseNextRequest: answered after the delay, other services at once",
    async () => {
      browseDelayMs = 1500;
      try {
        const browseStarted = performance.now();
        const browsed = await session!.browse("i=85");
        assert.ok(browsed.statusCode.isGood());
        assert.ok(performance.now() - browseStarted >= 1500, "Browse answered after the delay");
        const nextStarted = performance.now();
        await session!.browseNext([Buffer.from("none")], true);
        assert.ok(performance.now() - nextStarted >= 1500, "BrowseNext answered after the delay");
        const readStarted = performance.now();
        await session!.read({ nodeId: "i=2259", attributeId: AttributeIds.Value });
        assert.ok(performance.now() - readStarted < 1500, "Read answered at once");
      } finally {
        browseDelayMs = 0;
      }
    },
  );

  await t.test("_nodeIdManager._internal_id_counter numbers the nodes made without a NodeId", () => {
    assert.equal(numbered.nodeId.value, 0x7000_0000);
  });

  await t.test(
    "performMessageTransaction and _performMessageTransaction: every request, made then sent",
    async () => {
      const made: string[] = [];
      const sent: string[] = [];
      wrapSessionTransactions(session!, ({ perform, send }) => ({
        perform: (request, callback) => {
          made.push((request as object).constructor.name);
          perform(request, callback);
        },
        send: (request, callback) => {
          sent.push((request as object).constructor.name);
          send(request, callback);
        },
      }));
      const [value] = await session!.read([{ nodeId: plain.nodeId, attributeId: AttributeIds.Value }]);
      assert.equal(value!.value.value, 7);
      assert.deepEqual(made, ["ReadRequest"]);
      assert.deepEqual(sent, ["ReadRequest"]);
    },
  );

  let subscription: ClientSubscription;
  await t.test(
    "lastSequenceNumber: the last NotificationMessage's number, which Republish starts after",
    async () => {
      subscription = await session!.createSubscription2({
        requestedPublishingInterval: 50,
        requestedMaxKeepAliveCount: 10,
        requestedLifetimeCount: 100,
        publishingEnabled: true,
      });
      checkSubscription(subscription);
      const message = waitForEvent<NotificationMessage>(subscription, "raw_notification", 10_000);
      const item = await subscription.monitor(
        { nodeId: plain.nodeId, attributeId: AttributeIds.Value },
        { samplingInterval: 50, queueSize: 1 },
        TimestampsToReturn.Both,
      );
      const received = await message;
      await waitFor(
        () =>
          (subscription as unknown as { lastSequenceNumber: number }).lastSequenceNumber ===
          received.sequenceNumber,
        5000,
        "lastSequenceNumber follows the messages",
      );
      setLastSequenceNumber(subscription, 41);
      assert.equal((subscription as unknown as { lastSequenceNumber: number }).lastSequenceNumber, 41);

      // monitoredItems: the table node-opcua re-creates items from, with their itemToMonitor
      const table = subscriptionItems(subscription);
      assert.equal(table.length, 1);
      assert.equal(table[0]!.itemToMonitor.nodeId.toString(), plain.nodeId.toString());

      // internalSetMonitoringMode: the mode node-opcua re-creates the item with
      setItemMonitoringMode(item, MonitoringMode.Disabled);
      assert.equal(item.monitoringMode, MonitoringMode.Disabled);

      // the subscription's session, with the raw SetMonitoringMode service
      const result = await rawSubscriptionService(subscription).setMonitoringMode({
        subscriptionId: subscription.subscriptionId,
        monitoringMode: MonitoringMode.Reporting,
        monitoredItemIds: [Number(item.monitoredItemId)],
      });
      assert.deepEqual(
        result.results?.map((s) => s.name),
        ["Good"],
      );

      // _delete_monitored_items: one DeleteMonitoredItems, and the item out of the table
      const error = await new Promise<Error | undefined>((resolve) =>
        deleteItems(subscription, [item], resolve),
      );
      assert.equal(error, undefined);
      assert.equal(subscriptionItems(subscription).length, 0);
    },
  );

  await t.test("_terminate_and_emit and _removeGroup: a group's items leave the subscription", async () => {
    const group = ClientMonitoredItemGroup.create(
      subscription,
      [{ nodeId: plain.nodeId, attributeId: AttributeIds.Value }],
      { samplingInterval: 50, queueSize: 1 },
      TimestampsToReturn.Both,
    );
    await waitForEvent(group, "initialized", 10_000);
    assert.equal(subscriptionItems(subscription).length, 1);
    for (const item of group.monitoredItems) terminateItem(item);
    assert.equal(subscriptionItems(subscription).length, 0);
    // _removeGroup terminates the group (and so lets go of it): node-opcua says so with "terminated"
    const terminated = waitForEvent(group, "terminated", 5000);
    removeItemGroup(subscription, group);
    await terminated;
  });

  await t.test("$dataValue is the variable's current value object", () => {
    checkVariable(bound);
    bound.setValueFromSource({ dataType: DataType.Int32, value: 5 });
    assert.equal(cachedDataValue(bound).value.value, 5);
    assert.equal(cachedDataValue(bound), (bound as unknown as { $dataValue: DataValue }).$dataValue);
  });

  await t.test("asyncRefresh: the server's Read with maxAge goes through it", async () => {
    bound.bindVariable(
      {
        refreshFunc: (callback: (err: Error | null, value?: DataValue) => void) =>
          callback(
            null,
            new DataValue({ value: { dataType: DataType.Int32, value: 9 }, sourceTimestamp: new Date() }),
          ),
      },
      true,
    );
    const seen: unknown[] = [];
    type Refresh = (this: UAVariable, ...args: unknown[]) => unknown;
    replaceVariableMethod<Refresh>(
      bound,
      "asyncRefresh",
      (original) =>
        function (this: UAVariable, ...args) {
          seen.push(args[0]);
          return original.call(this, ...args);
        },
    );
    const [value] = await session!.read([{ nodeId: bound.nodeId, attributeId: AttributeIds.Value }], 0);
    assert.equal(value!.value.value, 9);
    assert.equal(seen.length, 1, "one asyncRefresh for one Read with maxAge 0");
  });

  await t.test("writeValue: the server's Write of a Value goes through it", async () => {
    const written: unknown[] = [];
    type Write = (this: UAVariable, ...args: unknown[]) => unknown;
    replaceVariableMethod<Write>(bound, "writeValue", () => (...args: unknown[]) => {
      written.push((args[1] as DataValue).value.value);
      const callback = args.at(-1) as (err: Error | null, status: unknown) => void;
      callback(null, StatusCodes.BadUserAccessDenied);
      return undefined;
    });
    const status = await session!.write(
      new WriteValue({
        nodeId: bound.nodeId,
        attributeId: AttributeIds.Value,
        value: { value: { dataType: DataType.Int32, value: 3 } },
      }),
    );
    assert.equal(status.name, "BadUserAccessDenied");
    assert.deepEqual(written, [3]);
    assert.ok(SessionContext.defaultContext);
  });

  await t.test("_remove: an item leaves the subscription's table without a request", async () => {
    const item = await subscription.monitor(
      { nodeId: plain.nodeId, attributeId: AttributeIds.Value },
      { samplingInterval: 50, queueSize: 1 },
      TimestampsToReturn.Both,
    );
    assert.equal(subscriptionItems(subscription).includes(item), true);
    forgetItem(subscription, item);
    assert.equal(subscriptionItems(subscription).includes(item), false);
  });

  await t.test(
    "preCreateMonitoredItem and _enqueue_event: an event item's create result, and fields queued as they are",
    async () => {
      keepCreateResults();
      const item = ClientMonitoredItem.create(
        subscription,
        { nodeId: resolveNodeId("i=2253"), attributeId: AttributeIds.EventNotifier },
        { samplingInterval: 0, queueSize: 10, filter: constructEventFilter(["Message"]) },
        TimestampsToReturn.Both,
      );
      await waitForEvent(item, "initialized", 10_000);
      const token = (session as unknown as { authenticationToken: unknown }).authenticationToken;
      const serverItem = server.engine
        .getSession(token as never)
        ?.getSubscription(subscription.subscriptionId)
        ?.getMonitoredItem(Number(item.monitoredItemId)) as MonitoredItem | null | undefined;
      assert.ok(serverItem, "the server's item");
      // the result node-opcua answered CreateMonitoredItems with: the id the client got
      assert.equal(createResultOf(serverItem)?.monitoredItemId, item.monitoredItemId);
      const received = waitForEvent<Variant[]>(item, "changed", 10_000);
      const message = new Variant({
        dataType: DataType.LocalizedText,
        value: new LocalizedText({ text: "queued" }),
      });
      enqueueEvent(serverItem, [message]);
      const fields = await received;
      assert.equal((fields[0]!.value as LocalizedText).text, "queued");
      await item.terminate();
    },
  );

  await t.test("writeNode: the server's Write calls it for every WriteValue, any attribute", async () => {
    const seen: number[] = [];
    assert.equal(
      replaceWriteNode(server.engine, (own) => async (context, writeValue) => {
        seen.push(writeValue.attributeId);
        return own(context, writeValue);
      }),
      true,
    );
    await session!.write(
      new WriteValue({
        nodeId: plain.nodeId,
        attributeId: AttributeIds.DisplayName,
        value: { value: { dataType: DataType.LocalizedText, value: new LocalizedText({ text: "x" }) } },
      }),
    );
    assert.deepEqual(seen, [AttributeIds.DisplayName]);
  });

  await t.test("historyRead on an Object: the server's HistoryRead calls the object's own", async () => {
    const seen: unknown[] = [];
    serveObjectHistory(numbered, async (_context, details) => {
      seen.push(details);
      return new HistoryReadResult({ statusCode: StatusCodes.GoodNoData });
    });
    const response = await session!.historyRead(
      new HistoryReadRequest({
        nodesToRead: [{ nodeId: numbered.nodeId }],
        historyReadDetails: new ReadEventDetails({ startTime: new Date(0), endTime: new Date() }),
      }),
    );
    assert.equal(seen.length, 1);
    assert.ok(seen[0] instanceof ReadEventDetails);
    assert.equal(response.results?.[0]?.statusCode.name, "GoodNoData");
  });

  await t.test("getDataTypeManager: the codecs of structures, by binary encoding", () => {
    const Ctor = dataTypeManager(server.engine.addressSpace!).getExtensionObjectConstructorFromBinaryEncoding(
      resolveNodeId("i=340"), // BuildInfo_Encoding_DefaultBinary
    );
    assert.ok("buildNumber" in new Ctor());
  });

  await t.test("$fullDefinition: what a DataType's DataTypeDefinition answers", async () => {
    const addressSpace = server.engine.addressSpace!;
    const dataType = namespace.createDataType({
      browseName: "ContractBits",
      isAbstract: false,
      subtypeOf: "UInt16",
    });
    const definition = addressSpace.constructExtensionObject(resolveNodeId("i=100"), {
      fields: [{ name: "First", value: [0, 0], displayName: { text: "First" } }],
    }) as ExtensionObject;
    setDataTypeDefinition(dataType, definition);
    assert.equal(dataType.getDefinition(), definition);
    const [read] = await session!.read([
      { nodeId: dataType.nodeId, attributeId: AttributeIds.DataTypeDefinition },
    ]);
    assert.equal(read!.statusCode.name, "Good");
    assert.deepEqual(
      (read!.value.value as { fields: { name: string }[] }).fields.map((f) => f.name),
      ["First"],
    );
  });

  await t.test("_internal_set_dataValue: the DataValue is kept as it is, ServerTimestamp included", () => {
    const source = new Date(Date.UTC(2020, 0, 1));
    const stamped = new Date(Date.UTC(2021, 0, 1));
    setDataValueAsIs(
      plain,
      new DataValue({
        value: { dataType: DataType.Int32, value: 11 },
        sourceTimestamp: source,
        serverTimestamp: stamped,
      }),
    );
    const value = plain.readValue();
    assert.equal(value.value.value, 11);
    assert.equal(value.serverTimestamp?.getTime(), stamped.getTime());
    assert.equal(value.sourceTimestamp?.getTime(), source.getTime());
  });

  await t.test("$extensionObject: ServerStatus's CurrentTime is read from the bound object", async () => {
    const status = server.engine.addressSpace!.findNode("i=2256") as UAVariable;
    const fixed = new Date(Date.UTC(2030, 5, 1));
    replaceBoundExtensionObject(
      status,
      (bound) =>
        new Proxy(bound, {
          get: (target, prop) => (prop === "currentTime" ? fixed : Reflect.get(target, prop)),
        }),
    );
    const [read] = await session!.read([{ nodeId: "i=2258", attributeId: AttributeIds.Value }]);
    assert.equal((read!.value.value as Date).getTime(), fixed.getTime());
  });

  await t.test("ConditionInfo.time: the Time of the condition's next event", () => {
    const source = namespace.addObject({
      browseName: "AlarmSource",
      organizedBy: "i=85",
      eventNotifier: 1,
      eventSourceOf: server.engine.addressSpace!.rootFolder.objects.server,
    });
    const input = namespace.addVariable({
      browseName: "AlarmInput",
      componentOf: source,
      dataType: DataType.Double,
      value: { dataType: DataType.Double, value: 0 },
    });
    const alarm = namespace.instantiateExclusiveLimitAlarm("ExclusiveLimitAlarmType", {
      browseName: "ContractAlarm",
      componentOf: source,
      conditionSource: source,
      inputNode: input,
      lowLimit: -10,
      highLimit: 10,
    });
    alarm.setEnabledState(true);
    const at = new Date(Date.UTC(2022, 2, 3));
    const calculate = alarm.calculateConditionInfo.bind(alarm);
    alarm.calculateConditionInfo = (...args) => {
      const info = calculate(...args);
      stampConditionTime(info, at);
      return info;
    };
    input.setValueFromSource({ dataType: DataType.Double, value: 20 });
    assert.equal((alarm.time.readValue().value.value as Date).getTime(), at.getTime());
  });

  await t.test(
    "_namespaceIndexByUri and namespaceUri: a namespace takes another URI, same index",
    async () => {
      const addressSpace = server.engine.addressSpace!;
      const before = namespace.namespaceUri;
      renameNamespace(addressSpace, namespace, "urn:contract:renamed");
      assert.equal(namespace.namespaceUri, "urn:contract:renamed");
      assert.equal(addressSpace.getNamespaceIndex("urn:contract:renamed"), namespace.index);
      assert.equal(addressSpace.getNamespaceIndex(before), -1);
      const [array] = await session!.read([{ nodeId: "i=2255", attributeId: AttributeIds.Value }]);
      assert.equal((array!.value.value as string[])[namespace.index], "urn:contract:renamed");
    },
  );

  await t.test("PacketAssembler.emit: an error nobody listens to is dropped, a heard one delivered", () => {
    dropUnheardAssemblerErrors();
    const assembler = new PacketAssembler({
      readChunkFunc: () =>
        ({ length: 16, messageHeader: { msgType: "MSG", isFinal: "F", length: 16 }, extra: "" }) as never,
      minimumSizeInBytes: 8,
    });
    assert.equal(assembler.emit("error", new Error("unheard")), false);
    const heard: Error[] = [];
    assembler.on("error", (error: Error) => heard.push(error));
    assembler.emit("error", new Error("heard"));
    assert.deepEqual(
      heard.map((e) => e.message),
      ["heard"],
    );
  });

  await t.test(
    "beforeSubscriptionRecreate: called with the new session when node-opcua re-creates subscriptions",
    async () => {
      const calls: ClientSession[] = [];
      setBeforeSubscriptionRecreate(client, async (s) => {
        calls.push(s);
        return undefined;
      });
      // the server forgets the session (as after a restart): node-opcua makes a new one
      const lost = waitForEvent(client, "connection_reestablished", 30_000);
      const token = (session as unknown as { authenticationToken: unknown }).authenticationToken;
      server.engine.closeSession(token as never, true, "Terminated");
      breakSecureChannel(client);
      await lost;
      await waitFor(() => calls.length === 1, 30_000, "the hook ran");
    },
  );

  await t.test(
    "_socket and _secureChannel.forceConnectionBreak: the reset reaches the connection",
    async () => {
      const lost = waitForEvent(client, "connection_lost", 15_000);
      transports.reset();
      breakSecureChannel(client);
      await lost;
    },
  );

  await t.test("a transport carries _socket from creation", () => {
    const transport = transports.create();
    assert.doesNotThrow(() => checkTransport(transport));
    assert.doesNotThrow(() => resetTransportSocket(transport));
  });
});
