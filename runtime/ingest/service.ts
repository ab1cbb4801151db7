/**
 * The OTLP/HTTP receiver: POST /v1/logs, /v1/traces, /v1/metrics, protobuf
 * or JSON, optionally gzipped, answered as the OTLP spec says: 200 (with
 * partial_success when records were refused), 400 malformed, 413 too large,
 * 415 unknown media type, 429/503 with Retry-After under back-pressure. The
 * answer to a protobuf request is protobuf, to a JSON request JSON.
 */
import { gunzipSync } from 'node:zlib';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { SourceName } from '../../schemas/sources.ts';
import { decodeJson, decodeProtobuf, encodeResponse, MalformedPayload, mapRequest, type Signal } from './otlp.ts';
import { encodeStatus } from './wire.ts';

export type SourceRows = Partial<Record<SourceName, Record<string, unknown>[]>>;

export interface IngestCore {
  /** Resolves once the rows are durable (the request may then be acknowledged). */
  accept(rows: SourceRows): Promise<void>;
  /** True while acknowledged-but-uncommitted data is over its limit. */
  overloaded(): boolean;
}

export interface IngestOptions {
  readonly maxBodyBytes: number;
  readonly maxConcurrentRequests: number;
  /** When set, every /v1/* request needs `Authorization: Bearer <token>` (OTel exporters: `headers`). */
  readonly token?: string;
}

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;
const GRPC_UNAUTHENTICATED = 16;

/** An error answer: google.rpc.Status, in the request's encoding. */
function status(c: Context, http: ContentfulStatusCode, grpcCode: number, message: string, json: boolean, retryAfter?: number) {
  if (retryAfter !== undefined) c.header('Retry-After', String(retryAfter));
  if (json) return c.json({ code: grpcCode, message }, http);
  c.header('Content-Type', PROTOBUF);
  return c.body(encodeStatus(grpcCode, message) as Uint8Array<ArrayBuffer>, http);
}

/**
 * The request body, or null when it is over `max` bytes. An oversize body is
 * still read to its end (up to 4 × max), so the client gets to read the 413
 * instead of a reset connection.
 */
async function readBody(request: Request, max: number): Promise<Uint8Array | null> {
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size <= max) chunks.push(chunk);
    else if (size > 4 * max) break;
  }
  return size > max ? null : Buffer.concat(chunks);
}

export function ingestService(core: IngestCore, options: IngestOptions): Hono {
  const app = new Hono();
  let inFlight = 0;

  app.get('/health', (c) => c.json({ status: core.overloaded() ? 'overloaded' : 'ok' }));

  for (const signal of ['logs', 'traces', 'metrics'] as Signal[]) {
    app.post(
      `/v1/${signal}`,
      async (c) => {
        const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        const json = mediaType === JSON_TYPE;
        if (!json && mediaType !== PROTOBUF) {
          return c.json({ code: GRPC_INVALID_ARGUMENT, message: `Content-Type: '${mediaType}' is not ${PROTOBUF} or ${JSON_TYPE}` }, 415);
        }
        if (options.token && c.req.header('authorization') !== `Bearer ${options.token}`) {
          return status(c, 401, GRPC_UNAUTHENTICATED, 'missing or wrong bearer token', json);
        }
        if (inFlight >= options.maxConcurrentRequests) return status(c, 429, GRPC_RESOURCE_EXHAUSTED, 'too many requests in progress', json, 1);
        if (core.overloaded()) return status(c, 503, GRPC_UNAVAILABLE, 'the lake writer is behind; retry later', json, 2);
        inFlight += 1;
        try {
          const read = await readBody(c.req.raw, options.maxBodyBytes);
          if (read === null) return status(c, 413, GRPC_RESOURCE_EXHAUSTED, `body over ${options.maxBodyBytes} bytes`, json);
          let body = read;
          const encoding = (c.req.header('content-encoding') ?? 'identity').toLowerCase();
          if (encoding === 'gzip') {
            try {
              body = gunzipSync(body, { maxOutputLength: options.maxBodyBytes });
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
                return status(c, 413, GRPC_RESOURCE_EXHAUSTED, `body over ${options.maxBodyBytes} bytes once gunzipped`, json);
              }
              return status(c, 400, GRPC_INVALID_ARGUMENT, `Content-Encoding gzip: ${(error as Error).message}`, json);
            }
          } else if (encoding !== 'identity') {
            return status(c, 415, GRPC_INVALID_ARGUMENT, `Content-Encoding: '${encoding}' is not gzip or identity`, json);
          }
          let mapped;
          try {
            mapped = mapRequest(signal, json ? decodeJson(body) : decodeProtobuf(signal, body));
          } catch (error) {
            if (error instanceof MalformedPayload) return status(c, 400, GRPC_INVALID_ARGUMENT, error.message, json);
            throw error;
          }
          if (mapped.accepted > 0) {
            try {
              await core.accept(mapped.rows);
            } catch (error) {
              return status(c, 503, GRPC_UNAVAILABLE, `could not make the records durable: ${(error as Error).message}`, json, 5);
            }
          }
          const answer = encodeResponse(signal, mapped.rejected, mapped.errorMessage, json);
          if (json) return c.body(answer as string, 200, { 'Content-Type': JSON_TYPE });
          return c.body(answer as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': PROTOBUF });
        } finally {
          inFlight -= 1;
        }
      },
    );
  }
  return app;
}
