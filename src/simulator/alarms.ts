/**
 * Events and an alarm in the simulator, so that tests and the demo can show events, Alarms and
 * Conditions (README "Events and alarms"):
 * - a BaseEvent on the Server object every `eventMs` ("Tick <counter>", Severity 100);
 * - `ns=1;s=Tank` (an event notifier below Simulation, HasNotifier from Server) with
 *   `ns=1;s=Tank.Level` (Double, a triangle 0 → 100 → 0 every `alarmCycleMs`) and
 *   `ns=1;s=Tank.LevelAlarm`, an acknowledgeable ExclusiveLimitAlarm on the level (LowLow 10,
 *   Low 30, High 70, HighHigh 90).
 *
 * Both are driven by the tick counter and stamped with the tick's time, so two shared-clock
 * simulators raise the same events (same Time, SourceNode, EventType, Message): what the gateway's
 * hot-mode event matching is tested against. EventIds stay each server's own, as in a real pair.
 */
import {
  type AddressSpace,
  DataType,
  EventNotifierFlags,
  extractEventFields,
  HistoryReadResult,
  type IEventData,
  LocalizedText,
  ReadEventDetails,
  resolveNodeId,
  SessionContext,
  StatusCodes,
  type UAObject,
  type UAVariable,
  Variant,
} from "node-opcua";
import { serveObjectHistory, stampConditionTime } from "../node-opcua-private.ts";

export interface AlarmOptions {
  /** Period of the BaseEvent on the Server object (0 = none). */
  eventMs: number;
  /** Period of the tank level's triangle (0 = the level stays at 50, the alarm inactive). */
  alarmCycleMs: number;
  tickMs: number;
}

export interface SimulatorAlarms {
  /** Called at every tick with the tick's counter and time. */
  onTick(counter: number, timestamp: Date): void;
}

export const LEVEL_LIMITS = { lowLow: 10, low: 30, high: 70, highHigh: 90 } as const;

/** The level at tick `counter`: a triangle 0 → 100 → 0 over `periodTicks`. */
export function levelAt(counter: number, periodTicks: number): number {
  if (periodTicks < 2) return 50;
  const phase = ((counter % periodTicks) + periodTicks) % periodTicks;
  const half = periodTicks / 2;
  const rising = phase <= half ? phase : periodTicks - phase;
  return Math.round((1000 * rising) / half) / 10;
}

export function buildAlarms(
  addressSpace: AddressSpace,
  simulation: UAObject,
  options: AlarmOptions,
): SimulatorAlarms {
  // binds ConditionRefresh(2), Acknowledge, Confirm, AddComment, Enable, Disable to node-opcua's code
  addressSpace.installAlarmsAndConditionsService();
  const namespace = addressSpace.getOwnNamespace();
  const server = addressSpace.rootFolder.objects.server;
  const tank = namespace.addObject({
    componentOf: simulation,
    nodeId: "s=Tank",
    browseName: "Tank",
    eventNotifier: EventNotifierFlags.SubscribeToEvents | EventNotifierFlags.HistoryRead,
    eventSourceOf: server,
  });
  const level = namespace.addVariable({
    componentOf: tank,
    nodeId: "s=Tank.Level",
    browseName: "Level",
    dataType: "Double",
    accessLevel: "CurrentRead",
    userAccessLevel: "CurrentRead",
    minimumSamplingInterval: 0,
  }) as UAVariable;
  level.setValueFromSource({ dataType: DataType.Double, value: 50 }, StatusCodes.Good, new Date());
  const alarm = namespace.instantiateExclusiveLimitAlarm("ExclusiveLimitAlarmType", {
    componentOf: tank,
    nodeId: "s=Tank.LevelAlarm",
    browseName: "LevelAlarm",
    conditionSource: tank,
    conditionName: "LevelAlarm",
    inputNode: level,
    lowLowLimit: LEVEL_LIMITS.lowLow,
    lowLimit: LEVEL_LIMITS.low,
    highLimit: LEVEL_LIMITS.high,
    highHighLimit: LEVEL_LIMITS.highHigh,
  });
  alarm.setEnabledState(true);
  let tickTime: Date | null = null;
  // node-opcua stamps a condition event with `new Date()`; the tick's time makes two servers agree
  // (calculateConditionInfo: published for assignment; node-opcua's default is reached through it).
  const calculate = alarm.calculateConditionInfo.bind(alarm);
  alarm.calculateConditionInfo = (...args) => {
    const info = calculate(...args);
    if (tickTime) stampConditionTime(info, tickTime);
    return info;
  };

  keepEventHistory(tank, () => tickTime);
  const eventTicks = options.eventMs > 0 ? Math.max(1, Math.round(options.eventMs / options.tickMs)) : 0;
  const cycleTicks =
    options.alarmCycleMs > 0 ? Math.max(2, Math.round(options.alarmCycleMs / options.tickMs)) : 0;
  const baseEventType = addressSpace.findEventType("BaseEventType");
  let lastLevel: number | undefined;
  return {
    onTick(counter, timestamp) {
      tickTime = timestamp;
      try {
        const value = levelAt(counter, cycleTicks);
        if (value !== lastLevel) {
          lastLevel = value;
          level.setValueFromSource({ dataType: DataType.Double, value }, StatusCodes.Good, timestamp);
        }
        if (eventTicks > 0 && counter % eventTicks === 0 && baseEventType) {
          server.raiseEvent(baseEventType, {
            sourceNode: { dataType: DataType.NodeId, value: server.nodeId },
            sourceName: { dataType: DataType.String, value: "Simulator" },
            time: new Variant({ dataType: DataType.DateTime, value: timestamp }),
            message: {
              dataType: DataType.LocalizedText,
              value: new LocalizedText({ text: `Tick ${counter}` }),
            },
            severity: { dataType: DataType.UInt16, value: 100 },
          });
        }
      } finally {
        tickTime = null;
      }
    },
  };
}

/** How many of the tank's events its event history keeps. */
const EVENT_HISTORY = 2000;

/**
 * The tank's event history (HistoryRead with ReadEventDetails): its last events, their fields per
 * the request's select clauses (no where clause, no continuation points: a test server).
 */
function keepEventHistory(tank: UAObject, tickTime: () => Date | null): void {
  const history: { time: number; data: IEventData }[] = [];
  tank.on("event", (data: IEventData) => {
    history.push({ time: (tickTime() ?? new Date()).getTime(), data });
    if (history.length > EVENT_HISTORY) history.shift();
  });
  serveObjectHistory(tank, async (_context: unknown, details: unknown) => {
    if (!(details instanceof ReadEventDetails) || !details.filter) {
      return new HistoryReadResult({ statusCode: StatusCodes.BadHistoryOperationUnsupported });
    }
    const from = details.startTime?.getTime() ?? 0;
    const to = details.endTime?.getTime() ?? Number.MAX_SAFE_INTEGER;
    const selected = history.filter((h) => h.time >= from && h.time <= to);
    const limit = details.numValuesPerNode > 0 ? details.numValuesPerNode : selected.length;
    const events = selected.slice(0, limit).map((h) => ({
      eventFields: extractEventFields(
        SessionContext.defaultContext,
        details.filter?.selectClauses ?? [],
        h.data,
      ),
    }));
    // HistoryEvent (DataType i=659): node-opcua has its class but does not export it
    const historyData = tank.addressSpace.constructExtensionObject(resolveNodeId("i=659"), { events });
    return new HistoryReadResult({ statusCode: StatusCodes.Good, historyData });
  });
}
