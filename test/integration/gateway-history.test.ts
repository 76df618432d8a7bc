/** HistoryRead through the gateway: forwarded to the active upstream server, answered as it answers. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  type ClientSession,
  type HistoryData,
  HistoryReadRequest,
  type HistoryReadResult,
  ReadRawModifiedDetails,
  TimestampsToReturn,
} from "node-opcua";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const options = { timeout: INTEGRATION_TEST_TIMEOUT_MS };
let rig: GatewayRig;
let gateway: Downstream;
let direct: Downstream;
let window: { start: Date; end: Date };

before(async () => {
  rig = await startGatewayRig({ pairs: [{ mode: "hot" }], tickMs: 20 });
  gateway = await connectDownstream(rig.endpoints[0]!);
  direct = await connectDownstream(rig.sims[0]!.endpointUrl);
  // a closed window of 2 s in the past, after the primary's first recorded value: both answers
  // must be the same values, and the window must be covered by history (a fast start of the rig
  // otherwise puts its beginning before the simulator's first tick)
  window = { start: new Date(0), end: new Date() };
  const [oldest] = await readRaw(direct.session, ["ns=1;s=Counter"], 1);
  const firstRecorded = (oldest?.historyData as HistoryData | null)?.dataValues?.[0]?.sourceTimestamp;
  assert.ok(firstRecorded, "the primary records the Counter's history");
  const start = Math.max(firstRecorded.getTime() + 100, Date.now() - 2200);
  window = { start: new Date(start), end: new Date(start + 2000) };
  await waitFor(() => Date.now() > start + 2200, 5000, "the history window in the past");
});

after(async () => {
  await gateway?.close();
  await direct?.close();
  await rig?.dispose();
});

async function readRaw(
  session: ClientSession,
  nodeIds: string[],
  numValuesPerNode = 0,
  continuationPoint?: Buffer,
): Promise<HistoryReadResult[]> {
  const response = await session.historyRead(
    new HistoryReadRequest({
      historyReadDetails: new ReadRawModifiedDetails({
        isReadModified: false,
        startTime: window.start,
        endTime: window.end,
        numValuesPerNode,
        returnBounds: false,
      }),
      timestampsToReturn: TimestampsToReturn.Source,
      releaseContinuationPoints: false,
      nodesToRead: nodeIds.map((nodeId) => ({ nodeId, continuationPoint })),
    }),
  );
  return response.results ?? [];
}

const valuesOf = (result: HistoryReadResult | undefined) =>
  ((result?.historyData as HistoryData | null)?.dataValues ?? []).map((dv) => [
    dv.value.value as number,
    dv.sourceTimestamp?.getTime(),
  ]);

test("HistoryRead of a mirrored variable answers the primary's history", options, async () => {
  const [viaGateway] = await readRaw(gateway.session, ["ns=1;s=Counter"]);
  const [fromPrimary] = await readRaw(direct.session, ["ns=1;s=Counter"]);
  assert.equal(viaGateway?.statusCode.name, "Good");
  assert.ok(
    valuesOf(fromPrimary).length >= 50,
    `${valuesOf(fromPrimary).length} values in 2 s at a 20 ms tick`,
  );
  assert.deepEqual(valuesOf(viaGateway), valuesOf(fromPrimary));
});

test(
  "HistoryRead of a structure-valued variable decodes through the gateway as directly",
  options,
  async () => {
    const positions = (result: HistoryReadResult | undefined) =>
      ((result?.historyData as HistoryData | null)?.dataValues ?? []).map((dv) => {
        const point = dv.value.value as { schema?: { name: string }; x: number; y: number } | null;
        return [point?.schema?.name, point?.x, point?.y, dv.sourceTimestamp?.getTime()];
      });
    const [viaGateway] = await readRaw(gateway.session, ["ns=1;s=Custom.Position"]);
    const [fromPrimary] = await readRaw(direct.session, ["ns=1;s=Custom.Position"]);
    assert.equal(viaGateway?.statusCode.name, "Good");
    const expected = positions(fromPrimary);
    assert.ok(expected.length >= 50, `${expected.length} Position values in 2 s at a 20 ms tick`);
    assert.equal(expected[0]?.[0], "Point", "decoded as its own type, not left opaque");
    assert.deepEqual(positions(viaGateway), expected);
  },
);

test(
  "continuation points are the upstream's: paging through the gateway gives the whole history",
  options,
  async () => {
    const [all] = await readRaw(gateway.session, ["ns=1;s=Counter"]);
    const paged: ReturnType<typeof valuesOf> = [];
    let [page] = await readRaw(gateway.session, ["ns=1;s=Counter"], 25);
    for (let i = 0; i < 100 && page; i++) {
      assert.equal(page.statusCode.isGood(), true, page.statusCode.name);
      paged.push(...valuesOf(page));
      if (!page.continuationPoint?.length) break;
      [page] = await readRaw(gateway.session, ["ns=1;s=Counter"], 25, page.continuationPoint);
    }
    assert.ok(paged.length > 25, "more than one page");
    assert.deepEqual(paged, valuesOf(all));
  },
);

test("each node gets its own result: mirrored, without history, unknown", options, async () => {
  const results = await readRaw(gateway.session, ["ns=1;s=Sine", "ns=1;s=Counter", "ns=1;s=NoSuchNode"]);
  const direct3 = await readRaw(direct.session, ["ns=1;s=Sine", "ns=1;s=Counter", "ns=1;s=NoSuchNode"]);
  assert.deepEqual(
    results.map((r) => r.statusCode.name),
    direct3.map((r) => r.statusCode.name),
  );
  assert.equal(results[1]?.statusCode.name, "Good");
  assert.deepEqual(valuesOf(results[1]), valuesOf(direct3[1]));
});

test("with no server active, HistoryRead answers BadServerNotConnected at once", options, async () => {
  for (const proxy of rig.proxies) proxy.setMode("refuse");
  await Promise.all(rig.sims.map((sim) => sim.kill()));
  await waitFor(() => rig.gateway.pairs[0]!.status().state === "allLost", 20_000, "every server lost");
  const started = Date.now();
  const [result] = await readRaw(gateway.session, ["ns=1;s=Counter"]);
  assert.equal(result?.statusCode.name, "BadServerNotConnected");
  assert.ok(Date.now() - started < 2000, `answered in ${Date.now() - started} ms`);
});
