/** Value comparisons of monitor items (`==, !=, <, <=, >, >=`), pure. */

/** What a comparison is configured with (the config schema allows nothing else). */
export type MonitorOperand = number | boolean | string;
/** A monitored value as the wiring hands it over: scalars as they are, anything else as "other". */
export type MonitorValue = number | boolean | string | null | undefined | { other: string };

export type ComparisonOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

export interface ComparisonVerdict {
  /** The value meets the comparison (the monitor fails), or cannot be compared at all. */
  meets: boolean;
  description: string;
}

function show(value: MonitorValue): string {
  if (value === null || value === undefined) return "no value";
  if (typeof value === "object") return value.other;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Whether `actual op operand` holds. A value of another type than the operand cannot be compared:
 * that counts as meeting the condition, so that a misconfigured monitor is visible, not silent.
 */
export function compareMonitorValue(
  actual: MonitorValue,
  op: ComparisonOp,
  operand: MonitorOperand,
): ComparisonVerdict {
  const text = `value ${show(actual)} ${op} ${show(operand)}`;
  if (typeof actual !== typeof operand || actual === null || typeof actual === "object") {
    return {
      meets: true,
      description: `${show(actual)} cannot be compared with ${show(operand)} (${typeof operand})`,
    };
  }
  const a = actual as MonitorOperand;
  let meets: boolean;
  switch (op) {
    case "==":
      meets = a === operand;
      break;
    case "!=":
      meets = a !== operand;
      break;
    case "<":
      meets = a < operand;
      break;
    case "<=":
      meets = a <= operand;
      break;
    case ">":
      meets = a > operand;
      break;
    case ">=":
      meets = a >= operand;
      break;
  }
  return { meets, description: text };
}
