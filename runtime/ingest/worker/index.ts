/**
 * Production ingest: a Cloudflare Worker that accepts OTLP/HTTP exactly as
 * `hyb serve ingest` does (same receiver code) and forwards the mapped rows
 * to one Cloudflare Pipelines stream per source, which commit them to the
 * R2 Data Catalog (Iceberg). Pipelines streams take JSON records only, not
 * OTLP, hence this Worker. Durability is the stream's: `send()` resolves once
 * the stream has the records, and only then is the request acknowledged.
 */
import attributes from '../../../generated/lake/attributes.json' with { type: 'json' };
import type { PromotedAttributes } from '../../../compiler/sql/promoted.ts';
import type { SourceName } from '../../../schemas/sources.ts';
import { toStreamRecord } from '../pipelines.ts';
import { ingestService, type SourceRows } from '../service.ts';

/** A Pipelines stream binding (or anything with the same `send`). */
export interface StreamBinding {
  send(records: Record<string, unknown>[]): Promise<void>;
}

/** Bindings: one stream per source, named after it (`otel_logs` → OTEL_LOGS). */
export type Env = Record<Uppercase<SourceName>, StreamBinding> & { MAX_BODY_BYTES?: string };

/** Records per send(): Pipelines takes at most 1 MB a request; OTel records are well under 1 KB. */
const SEND_BATCH = 500;

/** The attributes `hyb compile` promoted: each is a field of its stream (generated/pipelines/). */
const promoted: PromotedAttributes = attributes;

function appFor(env: Env) {
  return ingestService(
    {
      async accept(rows: SourceRows) {
        const sends: Promise<void>[] = [];
        for (const [source, list] of Object.entries(rows) as [SourceName, Record<string, unknown>[]][]) {
          const stream = env[source.toUpperCase() as Uppercase<SourceName>];
          if (!stream) throw new Error(`no stream bound as ${source.toUpperCase()}`);
          const records = list.map((row) => toStreamRecord(source, row, promoted[source]));
          for (let i = 0; i < records.length; i += SEND_BATCH) sends.push(stream.send(records.slice(i, i + SEND_BATCH)));
        }
        await Promise.all(sends);
      },
      overloaded: () => false,
    },
    { maxBodyBytes: Number(env.MAX_BODY_BYTES ?? 16 * 2 ** 20), maxConcurrentRequests: Number.MAX_SAFE_INTEGER },
  );
}

let app: ReturnType<typeof appFor> | undefined;

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    app ??= appFor(env);
    return app.fetch(request);
  },
};
