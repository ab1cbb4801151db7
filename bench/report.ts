/**
 * A benchmark's figures, each with the goal it is held to. Every bench ends
 * with `report()`: it prints the figures beside their goals and, under `npm
 * run bench` (HYB_BENCH_OUT set), hands them to bench/run.ts, which puts all
 * of one run's figures in one table in bench/RESULTS.md.
 */
import { writeFileSync } from 'node:fs';

export interface Goal {
  readonly op: '≤' | '≥';
  readonly value: number;
}

export interface Figure {
  readonly measure: string;
  readonly value: number;
  readonly unit: string;
  readonly goal?: Goal;
  /** Runs, spread or context shown after the figure. */
  readonly note?: string;
}

export interface Report {
  readonly bench: string;
  /** What was measured, how: one paragraph of markdown. */
  readonly setup: string;
  readonly figures: readonly Figure[];
  /** Per-query or per-run tables, markdown. */
  readonly details?: string;
}

export const atMost = (value: number): Goal => ({ op: '≤', value });
export const atLeast = (value: number): Goal => ({ op: '≥', value });

/** Whether the figure meets its goal; figures without one always do. */
export function met(figure: Figure): boolean {
  if (!figure.goal) return true;
  const { op, value } = figure.goal;
  return op === '≤' ? figure.value <= value : figure.value >= value;
}

const verdict = (figure: Figure): string => (!figure.goal ? '' : met(figure) ? 'met' : '**missed**');

const number = (value: number): string => (Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : String(Math.round(value * 100) / 100));
export const formatValue = (value: number, unit: string): string => `${number(value)}${unit ? ` ${unit}` : ''}`;

/** `| measure | figure | goal | verdict |` rows, optionally led by a column naming the bench. */
export function figureRows(figures: readonly Figure[], bench?: string): string[] {
  return figures.map((f) => {
    const goal = f.goal ? `${f.goal.op} ${formatValue(f.goal.value, f.unit)}` : '';
    const cells = [f.measure, `**${formatValue(f.value, f.unit)}**${f.note ? ` (${f.note})` : ''}`, goal, verdict(f)];
    return `| ${bench === undefined ? '' : `${bench} | `}${cells.join(' | ')} |`;
  });
}

export function report(r: Report): void {
  if (r.details) console.log(`\n${r.details}`);
  console.log(`\n| measure | figure | goal | |\n| --- | --- | --- | --- |\n${figureRows(r.figures).join('\n')}`);
  const out = process.env.HYB_BENCH_OUT;
  if (out) writeFileSync(out, JSON.stringify(r));
}
