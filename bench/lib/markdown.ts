/** Markdown table rendering and number formatting for benchmark reports. */

export type Cell = string | number | null | undefined;

function text(cell: Cell): string {
  if (cell === null || cell === undefined) return "–";
  if (typeof cell === "number") return Number.isInteger(cell) ? String(cell) : cell.toFixed(1);
  return cell;
}

/** A Markdown table with columns padded for reading in a terminal. */
export function markdownTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = [header.map(text), ...rows.map((row) => row.map(text))];
  const widths = header.map((_, i) => Math.max(3, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (row: readonly string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [
    line(cells[0]!),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...cells.slice(1).map(line),
  ].join("\n");
}

const MB = 2 ** 20;

/** A whole number, "–" when missing. */
export const n0 = (n: number | null | undefined): string =>
  n === null || n === undefined ? "–" : String(Math.round(n));
/** Bytes as MB with one decimal, "–" when missing. */
export const mb = (bytes: number | null | undefined): string =>
  bytes === null || bytes === undefined ? "–" : (bytes / MB).toFixed(1);
/** "a / b / c" of whole numbers (median / worst and the like). */
export const slash = (...parts: (number | null | undefined)[]): string => parts.map(n0).join(" / ");
