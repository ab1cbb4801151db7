/**
 * The time range of a dashboard query: `"7d"`-style (ending now) or
 * `{from, to}` as ISO 8601 timestamps. Both become the `from`/`to` parameters
 * every compiled query takes, as DateTime64(3, 'UTC') text.
 */
export type TimeRangeInput = string | { readonly from: string; readonly to: string };

export interface TimeRange {
  /** Epoch milliseconds, `from` inclusive, `to` exclusive. */
  readonly from: number;
  readonly to: number;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const RELATIVE = /^(\d{1,5})([mhdw])$/;
/** A year of range at most: more is surely a mistake, and chDB would read the whole lake. */
const MAX_SPAN_MS = 400 * UNIT_MS.d;

export class TimeRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeRangeError';
  }
}

function instant(text: string, field: string): number {
  // ISO 8601 with a date; a bare date means its midnight UTC. No zone means UTC.
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    throw new TimeRangeError(`${field}: '${text}' is not an ISO 8601 timestamp`);
  }
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(text) || text.length === 10 ? text : `${text}Z`;
  const ms = Date.parse(zoned.replace(' ', 'T'));
  if (Number.isNaN(ms)) throw new TimeRangeError(`${field}: '${text}' is not a valid time`);
  return ms;
}

/** Parses a request's range; throws naming `timeRange…` when it is unusable. */
export function parseTimeRange(input: unknown, now: number): TimeRange {
  let range: TimeRange;
  if (typeof input === 'string') {
    const match = RELATIVE.exec(input);
    if (!match) throw new TimeRangeError(`timeRange: '${input}' is not like 15m, 24h, 7d or 4w`);
    range = { from: now - Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS], to: now };
  } else if (input && typeof input === 'object' && !Array.isArray(input)) {
    const { from, to, ...rest } = input as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra) throw new TimeRangeError(`timeRange.${extra}: unknown key; give from and to`);
    if (typeof from !== 'string') throw new TimeRangeError('timeRange.from: an ISO 8601 timestamp is required');
    if (typeof to !== 'string') throw new TimeRangeError('timeRange.to: an ISO 8601 timestamp is required');
    range = { from: instant(from, 'timeRange.from'), to: instant(to, 'timeRange.to') };
    if (range.to <= range.from) throw new TimeRangeError('timeRange.to: must be after timeRange.from');
  } else {
    throw new TimeRangeError('timeRange: give "7d"-style text or {from, to}');
  }
  if (range.to - range.from > MAX_SPAN_MS) throw new TimeRangeError('timeRange: spans more than 400 days');
  return range;
}

/** `2026-11-24 10:00:00.000`: how ClickHouse reads a DateTime64(3, 'UTC') parameter. */
export function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
