/**
 * Values of the server's own DataTypes (structure, optional fields, nested, array of structures,
 * union, NodeId inside a structure, enumeration, OptionSet, Double subtype) decode through the
 * gateway exactly as directly: Read, DataTypeDefinition, encodings, subscriptions, Write and Call,
 * and hot failover with structure-valued items subscribed loses nothing.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AttributeIds,
  BinaryStream,
  BrowseDirection,
  type ClientSession,
  DataType,
  DataTypeExtractStrategy,
  type DataValue,
  type ExtensionObject,
  ExtraDataTypeManager,
  populateDataTypeManager,
  resolveNodeId,
  TimestampsToReturn,
} from "node-opcua";
import { CounterRecorder } from "../helpers/counter-recorder.ts";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const options = { timeout: INTEGRATION_TEST_TIMEOUT_MS };
let rig: GatewayRig;
let through: Downstream;
let direct: Downstream;

const VARIABLES = [
  "Position",
  "Reading",
  "Station",
  "Path",
  "Value",
  "Tagged",
  "State",
  "Alarms",
  "Percent",
].map((name) => `ns=1;s=Custom.${name}`);
const DATA_TYPES = ["ns=1;i=3001", "ns=1;i=3002", "ns=1;i=3003", "ns=1;i=3004", "ns=1;i=3005", "ns=1;i=3007"];

before(async () => {
  rig = await startGatewayRig({ pairs: [{ mode: "hot" }] });
  through = await connectDownstream(rig.endpoints[0]!);
  direct = await connectDownstream(rig.sims[0]!.endpointUrl);
});

after(async () => {
  await through?.close();
  await direct?.close();
  await rig?.dispose();
});

/** A decoded value as comparable data, with the type each structure was decoded as. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object" && "schema" in value) {
    const schema = (value as { schema: { name: string; fields: { name: string }[] } }).schema;
    const record = value as Record<string, unknown>;
    return Object.fromEntries([
      ["type", schema.name],
      ...schema.fields.map((f) => [f.name, plain(record[f.name])]),
    ]);
  }
  if (value && typeof value === "object" && "toString" in value && !Array.isArray(value))
    return typeof (value as { toJSON?: unknown }).toJSON === "function"
      ? JSON.parse(JSON.stringify(value))
      : String(value);
  return value;
}

/** A loaded machine may make one upstream read time out: such a read is asked again (3 times at most). */
const TRANSIENT = new Set(["BadTimeout", "BadServerNotConnected", "BadNoCommunication"]);

async function readAll(session: ClientSession, nodeIds: string[], attributeId = AttributeIds.Value) {
  let values = await session.read(nodeIds.map((nodeId) => ({ nodeId, attributeId })));
  for (let attempt = 1; attempt < 3 && values.some((v) => TRANSIENT.has(v.statusCode.name)); attempt++)
    values = await session.read(nodeIds.map((nodeId) => ({ nodeId, attributeId })));
  return values.map((v) => ({ status: v.statusCode.name, value: plain(v.value.value) }));
}

async function setFrozen(frozen: boolean) {
  const status = await direct.session.write({
    nodeId: "ns=1;s=Freeze",
    attributeId: AttributeIds.Value,
    value: { value: { dataType: DataType.Boolean, value: frozen } },
  });
  assert.equal(status.name, "Good");
}

test("reads of every custom type decode through the gateway as directly", options, async () => {
  await setFrozen(true); // the primary's values stand still, so both reads see the same
  try {
    const viaGateway = await readAll(through.session, VARIABLES);
    const directly = await readAll(direct.session, VARIABLES);
    assert.deepEqual(viaGateway, directly);
    for (const { status, value } of viaGateway) {
      assert.equal(status, "Good");
      assert.notEqual(value, null);
    }
    const station = viaGateway[2]!.value as { type: string; position: { type: string } };
    assert.equal(station.type, "Station", "decoded with its own type, not left opaque");
    assert.equal(station.position.type, "Point");
    const tagged = viaGateway[5]!.value as { source: string };
    assert.equal(tagged.source, "ns=1;s=Custom.Setpoint");
  } finally {
    await setFrozen(false);
  }
});

test("DataTypeDefinition and encodings of the custom DataTypes are the upstream's", options, async () => {
  assert.deepEqual(
    await readAll(through.session, DATA_TYPES, AttributeIds.DataTypeDefinition),
    await readAll(direct.session, DATA_TYPES, AttributeIds.DataTypeDefinition),
  );
  const encodings = async (session: ClientSession) =>
    (
      await session.browse(
        DATA_TYPES.map((nodeId) => ({
          nodeId,
          browseDirection: BrowseDirection.Forward,
          referenceTypeId: "HasEncoding",
          includeSubtypes: false,
          resultMask: 63,
        })),
      )
    ).map((r) => (r.references ?? []).map((ref) => `${ref.nodeId.toString()} ${ref.browseName.toString()}`));
  const expected = await encodings(direct.session);
  assert.deepEqual(await encodings(through.session), expected);
  assert.deepEqual(expected[0], ["ns=1;i=3101 Default Binary"]);
});

/**
 * What a 1.03 client decodes: codecs built from the type dictionaries only (Force103), applied to
 * the binary body of each structure value read (decoded here by 1.04 definitions, encoded again).
 */
async function decodeAs103(session: ClientSession, nodeIds: string[]) {
  const manager = new ExtraDataTypeManager();
  manager.setSession(session);
  await populateDataTypeManager(session, manager, DataTypeExtractStrategy.Force103);
  const values = await session.read(nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
  return values.map((dataValue) => {
    const decode = (value: ExtensionObject) => {
      const encodingId = resolveNodeId(value.schema.encodingDefaultBinary!.toString());
      const stream = new BinaryStream(value.binaryStoreSize());
      value.encode(stream);
      stream.rewind();
      const decoded = manager
        .getDataTypeFactoryForNamespace(encodingId.namespace)
        .constructObject(encodingId);
      decoded.decode(stream);
      return plain(decoded);
    };
    const value = dataValue.value.value as ExtensionObject | ExtensionObject[];
    return Array.isArray(value) ? value.map(decode) : decode(value);
  });
}

test(
  "a 1.03 client decodes every structure from the type dictionaries, through the gateway as directly",
  options,
  async () => {
    const structures = VARIABLES.filter((id) => /Position|Reading|Station|Path|Value|Tagged/.test(id));
    await setFrozen(true);
    try {
      const directly = await decodeAs103(direct.session, structures);
      const viaGateway = await decodeAs103(through.session, structures);
      assert.deepEqual(viaGateway, directly);
      // the dictionaries' codecs agree with the DataTypeDefinitions' (read by the session itself)
      assert.deepEqual(
        directly,
        (await readAll(direct.session, structures)).map((v) => v.value),
      );
    } finally {
      await setFrozen(false);
    }
  },
);

test("Write and Call with structure values reach the upstream as a direct client's", options, async () => {
  const point = await through.session.constructExtensionObject(resolveNodeId("ns=1;i=3001"), {
    x: 12.5,
    y: -3,
  });
  const written = await through.session.write({
    nodeId: "ns=1;s=Custom.Setpoint",
    attributeId: AttributeIds.Value,
    value: { value: { dataType: DataType.ExtensionObject, value: point } },
  });
  assert.equal(written.name, "Good");
  const [afterWrite] = await readAll(direct.session, ["ns=1;s=Custom.Setpoint"]);
  assert.deepEqual(afterWrite, { status: "Good", value: { type: "Point", x: 12.5, y: -3 } });

  const call = async (session: ClientSession) => {
    const argument = await session.constructExtensionObject(resolveNodeId("ns=1;i=3001"), { x: 2, y: 5 });
    const result = await session.call({
      objectId: "ns=1;s=Custom",
      methodId: "ns=1;s=Custom.Scale",
      inputArguments: [
        { dataType: DataType.ExtensionObject, value: argument },
        { dataType: DataType.Double, value: 3 },
      ],
    });
    return { status: result.statusCode.name, out: plain(result.outputArguments?.[0]?.value) };
  };
  const expected = { status: "Good", out: { type: "Point", x: 6, y: 15 } };
  assert.deepEqual(await call(direct.session), expected);
  assert.deepEqual(await call(through.session), expected);
});

/** Position.X is Counter: a recorder that checks it like the Counter (lost, duplicated, reordered). */
async function recordX(downstream: Downstream, nodeId: string, pick: (value: unknown) => number) {
  const recorder = new CounterRecorder();
  const item = await downstream.subscription.monitor(
    { nodeId, attributeId: AttributeIds.Value },
    { samplingInterval: 0, queueSize: 1000, discardOldest: true },
    TimestampsToReturn.Both,
  );
  item.on("changed", (dv: DataValue) =>
    recorder.onValue({
      statusCode: dv.statusCode,
      sourceTimestamp: dv.sourceTimestamp,
      value: { value: dv.statusCode.isGood() ? pick(dv.value.value) : null },
    } as unknown as DataValue),
  );
  return recorder;
}

test("hot failover with structure-valued items subscribed loses no value", options, async () => {
  const position = await recordX(through, "ns=1;s=Custom.Position", (v) => (v as { x: number }).x);
  const station = await recordX(
    through,
    "ns=1;s=Custom.Station",
    (v) => (v as { position: { x: number } }).position.x,
  );
  const path = await recordX(through, "ns=1;s=Custom.Path", (v) => (v as { x: number }[])[2]!.x);
  await position.waitForMore(25, 10_000, "Position values from the primary");
  await rig.sims[0]!.kill();
  await waitFor(() => rig.gateway.pairs[0]!.status().activeIndex === 1, 15_000, "failover to the secondary");
  await position.waitForMore(25, 10_000, "Position values from the secondary");
  await station.waitForMore(5, 10_000, "Station values from the secondary");
  await path.waitForMore(5, 10_000, "Path values from the secondary");
  for (const [name, recorder] of Object.entries({ position, station, path })) {
    const report = recorder.report(1);
    assert.deepEqual(
      { lost: report.lost, duplicates: report.duplicates, regressions: report.regressions },
      { lost: 0, duplicates: 0, regressions: 0 },
      `${name}: ${JSON.stringify(report.gaps)}`,
    );
    assert.deepEqual(recorder.bad, [], `${name}: no Bad value`);
  }
});
