/**
 * MV answers, kept until the tier changes under them. A rollup's rows for a
 * range change only when a sync loads rows, so an answer is keyed by the
 * query's version, the endpoint, the range floored to the rollup grain (the
 * MV query floors it the same way), the parameters, and the files and rows
 * the source had synced at the last health check. A sync that loads files is
 * a new key; a pass that finds nothing new keeps the answers. Concurrent
 * misses of one key share one query; a failed query is not kept.
 *
 * Lake answers are not kept (ingest changes the lake without a version the
 * router sees), but identical requests in flight share one chDB query: when
 * ClickHouse is down, the fallback load is the number of distinct questions,
 * not the number of viewers.
 */
const GRAIN_MS: Readonly<Record<string, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** A question's key: the query's version, the endpoint, the range floored to the rollup grain, the parameters. */
export function questionKey(parts: {
  readonly version: string;
  readonly endpoint: string;
  readonly rollupGrain: string;
  readonly from: number;
  readonly to: number;
  readonly params: Readonly<Record<string, unknown>>;
}): string {
  const grain = GRAIN_MS[parts.rollupGrain] ?? 1;
  const floor = (t: number) => Math.floor(t / grain) * grain;
  const params = Object.entries(parts.params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([parts.version, parts.endpoint, floor(parts.from), floor(parts.to), params]);
}

/** An MV answer's key: the question's, and what the MV held when answering (SyncState.loaded). JSON has no raw newline, so the two never run together. */
export const answerKey = (question: string, loaded: string): string => `${question}\n${loaded}`;

/**
 * Puts `key` last in `map` (a Map keeps insertion order, so its first key is
 * the least recently used) and drops the first keys past `max`.
 */
export function keepRecent<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value!);
}

export class AnswerCache {
  readonly #entries = new Map<string, Promise<Uint8Array>>();
  #hits = 0;
  #loads = 0;

  constructor(private readonly maxEntries: number) {}

  /** What /health shows: answers kept, room for them, and requests answered from them or loaded since start. */
  get stats() {
    return { entries: this.#entries.size, capacity: this.maxEntries, hits: this.#hits, loads: this.#loads };
  }

  /** The answer under `key`, loading it once on a miss. `hit` says whether it was already there. */
  get(key: string, load: () => Promise<Uint8Array>): { readonly value: Promise<Uint8Array>; readonly hit: boolean } {
    const kept = this.#entries.get(key);
    if (kept) {
      this.#hits++;
      keepRecent(this.#entries, key, kept, this.maxEntries);
      return { value: kept, hit: true };
    }
    this.#loads++;
    const value = load();
    if (this.maxEntries === 0) return { value, hit: false };
    keepRecent(this.#entries, key, value, this.maxEntries);
    value.catch(() => this.#entries.get(key) === value && this.#entries.delete(key));
    return { value, hit: false };
  }
}

/** Identical requests in flight share one load; nothing is kept after it settles. */
export class InFlight {
  readonly #loads = new Map<string, Promise<Uint8Array>>();

  share(key: string, load: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const running = this.#loads.get(key);
    if (running) return running;
    const value = load().finally(() => this.#loads.delete(key));
    this.#loads.set(key, value);
    return value;
  }
}

/** Runs at most `size` loads at once; the others wait their turn, in order. */
export class Limit {
  #running = 0;
  readonly #queue: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(load: () => Promise<T>): Promise<T> {
    if (this.#running < this.size) this.#running++;
    else await new Promise<void>((resolve) => this.#queue.push(resolve)); // handed a running slot
    try {
      return await load();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
