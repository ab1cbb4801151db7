/**
 * A deterministic generator of a web application's telemetry: page views in
 * sessions (some bounce), web vitals, errors from known users, HTTP server
 * spans with a latency tail, and a signup funnel with drop-off. The same
 * seed gives the same rows, byte for byte.
 *
 * Browser events follow the convention in schemas/browser-events.md: OTel log
 * records with `EventName` and attributes.
 */
export interface SeedOptions {
  readonly seed: number;
  /** First day (UTC midnight), ISO date. */
  readonly start: string;
  readonly days: number;
  /** Sessions per day. */
  readonly sessionsPerDay: number;
  readonly users: number;
}

export interface Rows {
  otel_logs: Record<string, unknown>[];
  otel_traces: Record<string, unknown>[];
}

/** mulberry32: small, fast and good enough for synthetic data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const PAGES = ['/', '/pricing', '/docs', '/blog', '/signup', '/about'] as const;
export const ROUTES = ['/api/users/:id', '/api/orders', '/api/search', '/api/login'] as const;
export const EXCEPTIONS = ['TypeError', 'NetworkError', 'RangeError', 'AuthError', 'TimeoutError'] as const;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const DAY_MS = 86_400_000;
/** The last day formatted: rows of a batch mostly share their day. */
let lastDay = NaN;
let lastDate = '';

/** `YYYY-MM-DD HH:MM:SS.ffffff` in UTC: microseconds, which both the lake and MergeTree keep. */
export function formatTimestamp(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const day = Math.floor(seconds / 86_400);
  if (day !== lastDay) {
    lastDay = day;
    lastDate = new Date(day * DAY_MS).toISOString().slice(0, 10);
  }
  const inDay = seconds - day * 86_400;
  const frac = String(micros - seconds * 1_000_000).padStart(6, '0');
  return `${lastDate} ${pad2(Math.floor(inDay / 3600))}:${pad2(Math.floor(inDay / 60) % 60)}:${pad2(inDay % 60)}.${frac}`;
}

const hex = (rand: () => number, bytes: number) =>
  Array.from({ length: bytes }, () => Math.floor(rand() * 256).toString(16).padStart(2, '0')).join('');

/** All days at once; see generateDays for data sets too large to hold. */
export function generate(options: SeedOptions): Rows {
  const rows: Rows = { otel_logs: [], otel_traces: [] };
  for (const day of generateDays(options)) {
    for (const r of day.otel_logs) rows.otel_logs.push(r);
    for (const r of day.otel_traces) rows.otel_traces.push(r);
  }
  return rows;
}

/** One day's rows at a time, in order; the concatenation is `generate`'s output. */
export function* generateDays(options: SeedOptions): Generator<Rows> {
  const rand = prng(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  // Log-normal via Box–Muller: web latencies have a long tail.
  const lognormal = (median: number, sigma: number) => median * Math.exp(sigma * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
  let rows: Rows = { otel_logs: [], otel_traces: [] };
  const startMicros = Date.parse(`${options.start}T00:00:00Z`) * 1000;
  const log = (micros: number, fields: Record<string, unknown>, attributes: Record<string, string>) =>
    rows.otel_logs.push({
      Timestamp: formatTimestamp(micros),
      ServiceName: 'web',
      SeverityText: 'INFO',
      SeverityNumber: 9,
      ResourceAttributes: { 'service.name': 'web' },
      LogAttributes: attributes,
      ...fields,
    });

  for (let day = 0; day < options.days; day++) {
    rows = { otel_logs: [], otel_traces: [] };
    for (let s = 0; s < options.sessionsPerDay; s++) {
      const user = `u${String(Math.floor(rand() * options.users)).padStart(4, '0')}`;
      const session = hex(rand, 8);
      // Distinct microsecond offsets keep event order unambiguous on both paths.
      let t = startMicros + day * 86_400_000_000 + Math.floor(rand() * 80_000) * 1_000_000 + s;
      const views = rand() < 0.35 ? 1 : 2 + Math.floor(rand() * 5);
      for (let v = 0; v < views; v++) {
        const page = v === 0 ? pick(PAGES) : pick(PAGES);
        const base = { 'url.path': page, 'session.id': session, 'user.id': user };
        log(t, { EventName: 'browser.page_view' }, base);
        log(t + 1_000, { EventName: 'browser.web_vital' }, { ...base, 'web_vital.name': 'LCP', 'web_vital.value': lognormal(1800, 0.5).toFixed(1) });
        log(t + 2_000, { EventName: 'browser.web_vital' }, { ...base, 'web_vital.name': 'CLS', 'web_vital.value': (rand() * 0.4).toFixed(4) });
        log(t + 3_000, { EventName: 'browser.web_vital' }, { ...base, 'web_vital.name': 'INP', 'web_vital.value': lognormal(120, 0.6).toFixed(1) });
        if (rand() < 0.06) {
          log(t + 4_000, { SeverityText: 'ERROR', SeverityNumber: 17, Body: 'uncaught exception' }, { ...base, 'exception.type': pick(EXCEPTIONS), 'exception.message': 'boom' });
        }
        t += Math.floor(5 + rand() * 120) * 1_000_000;
      }
      if (rand() < 0.3) {
        const steps = ['signup.view', 'signup.start', 'signup.complete'];
        const reached = rand() < 0.6 ? (rand() < 0.6 ? 3 : 2) : 1;
        for (let i = 0; i < reached; i++) {
          // Now and then a step comes after the one-hour window and does not count.
          t += (rand() < 0.1 ? 4_000 : 10 + Math.floor(rand() * 300)) * 1_000_000;
          log(t, { EventName: steps[i] }, { 'user.id': user, 'session.id': session });
        }
      }
      for (let r = 0; r < 3; r++) {
        const route = pick(ROUTES);
        const status = rand() < 0.04 ? 500 : rand() < 0.1 ? 404 : 200;
        const durationMs = rand() < 0.02 ? lognormal(2000, 0.4) : lognormal(40, 0.7);
        rows.otel_traces.push({
          Timestamp: formatTimestamp(t + r * 7_000),
          TraceId: hex(rand, 16),
          SpanId: hex(rand, 8),
          SpanName: `GET ${route}`,
          SpanKind: r === 2 ? 'Internal' : 'Server',
          ServiceName: 'api',
          ResourceAttributes: { 'service.name': 'api' },
          SpanAttributes: { 'http.route': route, 'http.response.status_code': String(status), 'user.id': user },
          Duration: Math.round(durationMs * 1e6),
          StatusCode: status >= 500 ? 'Error' : 'Unset',
        });
      }
    }
    yield rows;
  }
}

export const toJsonEachRow = (rows: readonly Record<string, unknown>[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
