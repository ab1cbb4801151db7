/**
 * The lake's Iceberg tables as one chDB session writes them: attach an
 * existing table from its metadata, create a missing one (day-partitioned,
 * from schemas/), append JSONEachRow as one commit.
 */
import type { Session } from 'chdb';
import { lakeTableDDL } from '../../compiler/sql/sources.ts';
import type { SourceName } from '../../schemas/sources.ts';
import { lakeWriteEngine, localTableExists, type LakeConfig } from './location.ts';

export class LakeTables {
  #ready = new Set<SourceName>();

  constructor(
    private readonly session: Session,
    private readonly lake: LakeConfig,
  ) {}

  /** True when the source's table exists (a local lake: in the working directory). */
  exists(source: SourceName): boolean {
    if (this.#ready.has(source)) return true;
    if (this.lake.kind === 'local') return localTableExists('.', source);
    try {
      this.ensure(source, false);
      return true;
    } catch {
      return false;
    }
  }

  /** Attaches the table, creating it when `create` and it does not exist yet. */
  ensure(source: SourceName, create = true): void {
    if (this.#ready.has(source)) return;
    const engine = lakeWriteEngine(this.lake, source);
    const absent = this.lake.kind === 'local' && !localTableExists('.', source);
    try {
      if (absent) throw new Error(`${source}: no table yet`);
      this.session.query(`CREATE TABLE IF NOT EXISTS ${source} ENGINE = ${engine}`);
    } catch (error) {
      if (!create) throw error;
      this.session.query(lakeTableDDL(source, engine));
    }
    this.#ready.add(source);
  }

  count(source: SourceName): number {
    if (!this.exists(source)) return 0;
    this.ensure(source);
    return Number(this.session.query(`SELECT count() FROM ${source}`, 'TSV').trim());
  }

  /** One Iceberg commit with every row of `payload`. */
  async append(source: SourceName, payload: Buffer): Promise<void> {
    this.ensure(source);
    await this.session.insert({ table: source, values: payload, format: 'JSONEachRow', settings: { allow_experimental_insert_into_iceberg: 1 } });
  }
}
