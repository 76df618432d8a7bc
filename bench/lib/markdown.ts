/** Markdown table rendering for benchmark reports. */

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
